package qr

import "testing"

func TestProgressURL(t *testing.T) {
	got, err := ProgressURL("https://gw.example.gov.cn:8443/", "t-1", "00ff")
	if err != nil || got != "https://gw.example.gov.cn:8443/progress?ticket=t-1#salt=00ff" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := ProgressURL("not a url", "t-1", "00"); err == nil {
		t.Fatal("a base without scheme and host was accepted")
	}
}
