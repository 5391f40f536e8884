package history

import (
	"runtime"
	"testing"
	"time"
)

func BenchmarkRecord(b *testing.B) {
	n, s := steady(720)
	b.ReportAllocs()
	i := 10000
	for b.Loop() {
		i++
		n.Record(at(i), s)
	}
}

func BenchmarkRate720(b *testing.B) {
	n, _ := steady(720)
	key := n.Keys()[7]
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := n.Rate(key, time.Hour); !ok {
			b.Fatal("no rate")
		}
	}
}

func BenchmarkMemory500x50x720(b *testing.B) {
	const numbers, perNumber, polls = 500, 50, 720
	for b.Loop() {
		b.StopTimer()
		_, s := steady(2) // only for its snapshot of 50 series
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		hs := make([]*Number, numbers)
		for k := range hs {
			hs[k] = NewNumber(polls)
		}
		for i := range polls {
			bump(s, i)
			for _, h := range hs {
				h.Record(at(i), s)
			}
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		points := float64(numbers * perNumber * polls)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/points, "B/point")
		runtime.KeepAlive(hs)
		b.StartTimer()
	}
}
