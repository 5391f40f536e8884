package source

import "testing"

// The realistic payload is rich.json: the seed's metrics plus the other app and db
// metrics the notes list, 23 series in 16 metrics. Targets: under 50 µs and 100 allocations.
func BenchmarkDecodeRealistic(b *testing.B) {
	body := readFixture(b, "rich.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode5000Series(b *testing.B) {
	body := manySeriesPayload(50, 100)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeMulticonnect(b *testing.B) {
	body := readFixture(b, "multiconnect.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDecodeRealisticAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation budget")
	}
	body := readFixture(t, "rich.json")
	n := testing.AllocsPerRun(50, func() { _, _ = Decode(body) })
	if n > 100 {
		t.Errorf("Decode of rich.json allocates %v times, budget 100", n)
	}
}
