package canon

import (
	"errors"
	"strings"
	"testing"

	"github.com/certledger/certledger/internal/gm"
)

type docBody struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

var (
	errDoc  = errors.New("malformed test document")
	testDoc = Document{Prefix: "certledger/v1/test\n", Name: "test document", Body: "doc",
		MaxSize: 1 << 10, Malformed: errDoc, Unknown: "unknown fields"}
)

func TestDocumentRoundTrip(t *testing.T) {
	key, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	body := docBody{Name: "x", N: 2}
	sig, err := testDoc.Sign(key, &body)
	if err != nil {
		t.Fatal(err)
	}
	file, err := MarshalFile(struct {
		Doc       docBody `json:"doc"`
		Signature string  `json:"signature"`
	}{body, sig})
	if err != nil {
		t.Fatal(err)
	}
	var got docBody
	gotSig, err := testDoc.Parse(file, &got)
	if err != nil || gotSig != sig || got != body {
		t.Fatalf("Parse = %+v %q %v", got, gotSig, err)
	}
	p, _ := testDoc.Payload(&body)
	if err := gm.VerifyBase64(&key.PublicKey, p, sig); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(p), testDoc.Prefix) {
		t.Fatalf("payload %q lacks the prefix", p)
	}
}

func TestDocumentRefuses(t *testing.T) {
	for name, in := range map[string]string{
		"too large":        `{"doc":{"name":"` + strings.Repeat("a", 2000) + `","n":1},"signature":"s"}`,
		"duplicate key":    `{"doc":{"name":"a","name":"b","n":1},"signature":"s"}`,
		"unknown envelope": `{"doc":{"name":"a","n":1},"signature":"s","x":1}`,
		"unknown body key": `{"doc":{"name":"a","n":1,"x":1},"signature":"s"}`,
		"no signature":     `{"doc":{"name":"a","n":1}}`,
		"null signature":   `{"doc":{"name":"a","n":1},"signature":null}`,
		"no body":          `{"signature":"s"}`,
		"body key missing": `{"doc":{"name":"a"},"signature":"s"}`,
		"not an object":    `[1]`,
		"trailing data":    `{"doc":{"name":"a","n":1},"signature":"s"} {}`,
	} {
		var b docBody
		if _, err := testDoc.Parse([]byte(in), &b); !errors.Is(err, errDoc) {
			t.Errorf("%s: err = %v, want %v", name, err, errDoc)
		}
	}
}
