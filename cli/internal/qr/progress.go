package qr

import (
	"fmt"
	"net/url"
	"strings"
)

// ProgressURL returns the citizen's progress-page link
// <base>/progress?ticket=ID#salt=SALT. The salt travels in the fragment, which a
// browser never sends to a server; the page asks the citizen for the identifier the
// commitment was made with and computes SM3(salt ‖ identifier) itself. The link
// carries no personal data and, without the identifier, opens nothing.
func ProgressURL(base, ticketID, saltHex string) (string, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("bad progress base URL %q", base)
	}
	u.Path += "/progress"
	u.RawQuery = url.Values{"ticket": {ticketID}}.Encode()
	u.Fragment = "salt=" + saltHex
	return u.String(), nil
}
