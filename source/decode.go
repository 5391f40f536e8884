package source

import "errors"

// Decode turns a response body into a Snapshot. STUB: being implemented.
//
// Contract: accepts the bare envelope and the one wrapped in "RESPONSE"; a WS201 envelope
// gives a Snapshot (Code, Message, Metrics, Meta, Warnings, Raw set; Number/FetchedAt/
// Latency left for the caller); a WS4xx/WS5xx envelope gives *APIError (HTTPStatus 0, the
// caller fills it); anything that is not the envelope gives *DecodeError saying what was
// found. Never panics.
func Decode(body []byte) (Snapshot, error) {
	return Snapshot{}, errors.New("decode: not implemented")
}
