package source

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// DefaultBaseURL is the API's documented base URL.
const DefaultBaseURL = "https://api-webhook-monitor-whatsapp.api.kaleyra.io"

// KaleyraOptions configures the HTTP client. STUB: being implemented.
type KaleyraOptions struct {
	BaseURL    string        // default DefaultBaseURL
	APIKey     string        // sent as "api-key" when non-empty; never logged or printed
	Timeout    time.Duration // per request; default 10s
	MaxBody    int64         // body cap in bytes; default 8 MiB
	Version    string        // for User-Agent: wamon/{version}
	HTTPClient *http.Client  // optional, for tests; its Timeout is not relied on
}

// Kaleyra polls GET {base_url}/v1/wamonitor/stats/{number}.
type Kaleyra struct{ opts KaleyraOptions }

// NewKaleyra validates the options (base URL must be http(s)) and builds a client.
func NewKaleyra(opts KaleyraOptions) (*Kaleyra, error) { return &Kaleyra{opts: opts}, nil }

func (k *Kaleyra) Name() string { return "kaleyra " + k.opts.BaseURL }

func (k *Kaleyra) Fetch(ctx context.Context, number string) (Snapshot, error) {
	return Snapshot{Number: number}, errors.New("kaleyra: not implemented")
}

// ValidateNumber checks E.164: "+" then 8 to 15 digits, the first not 0.
func ValidateNumber(n string) error { return nil }
