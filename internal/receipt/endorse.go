package receipt

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/certledger/certledger/internal/trust"
)

// EndorserRole is the organisational unit a Fabric peer's certificate carries
// (NodeOUs); endorsement policies name the peer role, so only peers count.
const EndorserRole = "peer"

// EndorsementCheck is the outcome of one endorsement.
type EndorsementCheck struct {
	MSPID   string `json:"mspId"`
	Subject string `json:"subject"`
	Valid   bool   `json:"valid"`
	Problem string `json:"problem,omitempty"`
}

// Endorsements is the outcome of CheckEndorsements.
type Endorsements struct {
	Checks []EndorsementCheck `json:"checks"`
	// MSPs are the distinct organisations with at least one valid endorsement.
	MSPs []string `json:"msps"`
	// Satisfied: MSPs meet the bundle's endorsement policy.
	Satisfied bool   `json:"satisfied"`
	Policy    string `json:"policy"`
}

// CheckEndorsements checks every endorsement of a against bundle b: the
// endorser's certificate chains, at time at (the transaction's time), to a
// root CA the bundle lists for the endorser's MSP (through the MSP's
// intermediates), it is a peer's (OU "peer") ECDSA P-256 key, and its
// signature (DER, low S, as Fabric requires) verifies over SHA-256 of
// ProposalResponse ‖ Endorser. Then the valid endorsers' MSPs must satisfy the
// bundle's policy. An MSP or CA outside the bundle never counts.
func CheckEndorsements(a *Anchor, b *trust.Bundle, at time.Time) Endorsements {
	out := Endorsements{Policy: b.Policy.String()}
	for _, e := range a.Endorsements {
		c := checkEndorsement(a.ProposalResponse, e, b, at)
		out.Checks = append(out.Checks, c)
		if c.Valid && !slices.Contains(out.MSPs, c.MSPID) {
			out.MSPs = append(out.MSPs, c.MSPID)
		}
	}
	out.Satisfied = b.Policy.Satisfied(out.MSPs)
	return out
}

func checkEndorsement(prp []byte, e Endorsement, b *trust.Bundle, at time.Time) EndorsementCheck {
	id, err := DecodeEndorser(e.Endorser)
	if err != nil {
		return EndorsementCheck{Problem: err.Error()}
	}
	c := EndorsementCheck{MSPID: id.MSPID}
	cert, err := parseOneCert(id.CertPEM)
	if err != nil {
		c.Problem = "endorser certificate: " + err.Error()
		return c
	}
	c.Subject = cert.Subject.String()
	org, ok := b.Org(id.MSPID)
	if !ok {
		c.Problem = fmt.Sprintf("organisation %s is not in the trust bundle (height %d)", id.MSPID, b.Height)
		return c
	}
	if err := verifyChain(cert, org, at); err != nil {
		c.Problem = fmt.Sprintf("certificate %q does not chain to a root CA of %s in the trust bundle: %v", c.Subject, id.MSPID, err)
		return c
	}
	if !slices.Contains(cert.Subject.OrganizationalUnit, EndorserRole) {
		c.Problem = fmt.Sprintf("certificate %q is not a peer's (no OU %q)", c.Subject, EndorserRole)
		return c
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		c.Problem = "the endorser key is not ECDSA P-256"
		return c
	}
	if err := verifyECDSA(pub, append(append([]byte{}, prp...), e.Endorser...), e.Signature); err != nil {
		c.Problem = "endorsement signature: " + err.Error()
		return c
	}
	c.Valid = true
	return c
}

// parseOneCert decodes exactly one PEM CERTIFICATE block.
func parseOneCert(p []byte) (*x509.Certificate, error) {
	block, rest := pem.Decode(p)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM CERTIFICATE")
	}
	if strings.TrimSpace(string(rest)) != "" {
		return nil, errors.New("data after the certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

func verifyChain(cert *x509.Certificate, org *trust.Org, at time.Time) error {
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	n := 0
	for _, r := range org.RootCerts {
		if c, err := parseOneCert([]byte(r)); err == nil {
			roots.AddCert(c)
			n++
		}
	}
	if n == 0 {
		return errors.New("the bundle lists no ECDSA root CA for it")
	}
	for _, r := range org.IntermediateCerts {
		if c, err := parseOneCert([]byte(r)); err == nil {
			inter.AddCert(c)
		}
	}
	_, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err
}

var p256HalfN = new(big.Int).Rsh(elliptic.P256().Params().N, 1)

// verifyECDSA checks a DER ECDSA signature (exactly one SEQUENCE of two
// positive INTEGERs, nothing after, S in the low half as Fabric requires)
// over SHA-256(msg).
func verifyECDSA(pub *ecdsa.PublicKey, msg, sig []byte) error {
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(sig, &rs)
	if err != nil || len(rest) != 0 {
		return errors.New("not a DER ECDSA signature")
	}
	if rs.R.Sign() <= 0 || rs.S.Sign() <= 0 || rs.R.Cmp(pub.Curve.Params().N) >= 0 {
		return errors.New("r or s out of range")
	}
	if rs.S.Cmp(p256HalfN) > 0 {
		return errors.New("s is not in the lower half of the order (Fabric refuses high-S signatures)")
	}
	h := sha256.Sum256(msg)
	if !ecdsa.Verify(pub, h[:], rs.R, rs.S) {
		return errors.New("does not verify")
	}
	return nil
}
