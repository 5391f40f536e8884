// Package oncetest decodes what --once --json prints, for the report and cli tests.
package oncetest

import (
	"encoding/json"
	"testing"
)

// JSONObject is one JSON line decoded; the test fails on a line that is not JSON.
func JSONObject(t testing.TB, line string) map[string]any {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal([]byte(line), &obj); err != nil {
		t.Fatalf("not JSON: %v: %s", err, line)
	}
	return obj
}

// StringList is a decoded JSON list of strings; nil for anything else.
func StringList(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		s, _ := e.(string)
		out = append(out, s)
	}
	if list != nil && out == nil {
		out = []string{}
	}
	return out
}
