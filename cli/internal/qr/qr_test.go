package qr

import (
	"bytes"
	"image/png"
	"net/url"
	"testing"
)

func TestVerifyURL(t *testing.T) {
	u, err := VerifyURL("https://gov.example/certledger/", "c 1&x", "ab")
	if err != nil || u != "https://gov.example/certledger/verify?hash=ab&id=c+1%26x" {
		t.Fatalf("%q %v", u, err)
	}
	p, _ := url.Parse(u)
	if p.Query().Get("id") != "c 1&x" || len(p.Query()) != 2 {
		t.Fatal(p.Query())
	}
	if _, err := VerifyURL("not a url", "a", "b"); err == nil {
		t.Fatal("accepted a bad base")
	}
}

func TestPNG(t *testing.T) {
	b, err := PNG("http://127.0.0.1:8080/verify?hash=00&id=c-1")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds().Dx() != Size {
		t.Fatalf("%v %v", err, img.Bounds())
	}
}
