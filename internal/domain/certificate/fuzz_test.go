package certificate_test

import (
	"encoding/json"
	"testing"

	"github.com/certledger/certledger/internal/domain/certificate"
)

// FuzzEvaluate feeds arbitrary queries and certificate records to the pipeline:
// it must never panic and must always report eight numbered steps and a verdict.
func FuzzEvaluate(f *testing.F) {
	f.Add(`{"id":"c-1"}`, `{"id":"c-1","validFrom":"2026-01-01T00:00:00Z","status":"valid"}`)
	f.Add(`{"docHash":"zz"}`, `{}`)
	f.Add(`{}`, `{"validFrom":"x","validUntil":"y","batchId":"b","issuedAt":"z"}`)
	f.Fuzz(func(t *testing.T, query, record string) {
		var in certificate.Input
		if err := json.Unmarshal([]byte(query), &in.Query); err != nil {
			in.FormatError = err.Error()
		}
		var c certificate.Certificate
		if json.Unmarshal([]byte(record), &c) == nil {
			in.Certificate = &c
		}
		res := certificate.Evaluate(in)
		if res.Verdict == "" || len(res.Steps) != 8 {
			t.Fatalf("result %+v", res)
		}
	})
}
