package batch_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	batchcc "github.com/certledger/certledger/chaincode/contract/batch"
	"github.com/certledger/certledger/chaincode/contract/certificate"
	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/batch"
	domain "github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/merkle"
)

var (
	gov    = ledgertest.Gov
	market = ledgertest.Market
	police = ledgertest.Police
	public = ledgertest.Citizen
)

type env struct {
	t      *testing.T
	l      *ledgertest.Ledger
	market ledgertest.Signer
	police ledgertest.Signer
}

func setup(t *testing.T) *env {
	t.Helper()
	l, m, p := ledgertest.TwoDepartments(t,
		map[string]any{"name": "Market", "categories": []string{"business-licence", "food-safety"}},
		map[string]any{"name": "Police", "categories": []string{"firearm-permit"}},
		registry.New(), certificate.New(), batchcc.New())
	return &env{t: t, l: l, market: m, police: p}
}

// built is a batch made in memory: its records, tree and signed header.
type built struct {
	recs   []batch.Record
	tree   *merkle.Tree
	header batch.Header
}

func (e *env) build(id, previous string, n int, s ledgertest.Signer, change func(*batch.Header)) built {
	e.t.Helper()
	b := built{recs: make([]batch.Record, n)}
	leaves := make([][]byte, n)
	types := map[string]bool{}
	for i := range b.recs {
		b.recs[i] = batch.Record{
			ID: fmt.Sprintf("%s-%04d", id, i), DocHash: gm.SM3Hex([]byte(fmt.Sprint(id, i))), Type: "business-licence", Issuer: "market",
			HolderCommitment: gm.SM3Hex([]byte(fmt.Sprint("holder", i))), ValidFrom: "2026-01-01T00:00:00Z", ValidUntil: "2031-01-01T00:00:00Z", KeyID: s.KeyID,
		}
		types[b.recs[i].Type] = true
		line, err := batch.AppendLine(nil, &b.recs[i])
		if err != nil {
			e.t.Fatal(err)
		}
		leaves[i] = batch.LeafData(nil, batch.RecordKindV1, line)
	}
	b.tree = merkle.BuildFromData(n, func(i int) []byte { return leaves[i] })
	root := b.tree.Root()
	now := e.l.Now()
	b.header = batch.Header{
		ID: id, Issuer: "market", KeyID: s.KeyID, Root: fmt.Sprintf("%x", root[:]), Count: n, FileHash: gm.SM3Hex([]byte(id)),
		Previous: previous, WindowFrom: now.Add(-time.Minute).Format(time.RFC3339), WindowUntil: now.Add(time.Hour).Format(time.RFC3339),
		RecordKind: batch.RecordKindV1, Types: []string{"business-licence"},
	}
	if change != nil {
		change(&b.header)
	}
	b.header.Signature = s.Sign(e.t, canon.KindBatchHeader, b.header)
	return b
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func refused(t *testing.T, r ledgertest.Result, code string) {
	t.Helper()
	if r.OK() || r.Code() != code {
		t.Fatalf("got status %d %q, want code %s", r.Status, r.Message, code)
	}
	if len(r.Writes) != 0 || r.Event != nil || r.Committed {
		t.Fatalf("refused transaction wrote %d keys, event %+v", len(r.Writes), r.Event)
	}
}

func TestAnchorAndChain(t *testing.T) {
	e := setup(t)
	b1 := e.build("b-1", "", 5, e.market, nil)
	r := e.l.MustSubmit(market, "batch:Anchor", js(b1.header))
	var a batch.Anchored
	r.MustDecode(t, &a)
	if a.Root != b1.header.Root || a.TxID != r.TxID || a.AnchoredAt != "2026-11-28T12:00:00Z" {
		t.Fatalf("anchored %+v", a)
	}
	if r.Event == nil || r.Event.Name != batchcc.EventAnchored || string(r.Event.Payload) != string(r.Payload) {
		t.Fatalf("event %+v", r.Event)
	}
	if got := string(e.l.MustEvaluate(public, "batch:Get", "b-1").Payload); got != string(r.Payload) {
		t.Fatalf("Get %s", got)
	}
	var head batchcc.Head
	e.l.MustEvaluate(public, "batch:Head", "market").MustDecode(t, &head)
	if head.BatchID != "b-1" || head.Count != 1 {
		t.Fatalf("head %+v", head)
	}

	// Anchored twice: refused, whatever the rest of the header says.
	refused(t, e.l.Submit(market, "batch:Anchor", js(b1.header)), codes.Conflict)
	// The chain: a second batch must name b-1.
	refused(t, e.l.Submit(market, "batch:Anchor", js(e.build("b-2", "", 3, e.market, nil).header)), codes.Conflict)
	refused(t, e.l.Submit(market, "batch:Anchor", js(e.build("b-2", "b-0", 3, e.market, nil).header)), codes.Conflict)
	e.l.MustSubmit(market, "batch:Anchor", js(e.build("b-2", "b-1", 3, e.market, nil).header))
	e.l.MustEvaluate(public, "batch:Head", "market").MustDecode(t, &head)
	if head.BatchID != "b-2" || head.Count != 2 {
		t.Fatalf("head %+v", head)
	}
	refused(t, e.l.Submit(public, "batch:Get", "nope"), codes.NotFound)
}

func TestAnchorRefusals(t *testing.T) {
	e := setup(t)
	rotated, revoked, stranger := ledgertest.NewSigner(t), ledgertest.NewSigner(t), ledgertest.NewSigner(t)
	e.l.MustSubmit(gov, "registry:AddKey", "market", rotated.PublicPEM)
	e.l.MustSubmit(gov, "registry:AddKey", "market", revoked.PublicPEM)
	e.l.Advance(time.Minute)
	successor := ledgertest.NewSigner(t)
	e.l.MustSubmit(gov, "registry:RotateKey", "market", rotated.KeyID, successor.PublicPEM)
	e.l.MustSubmit(market, "registry:RevokeKey", "market", revoked.KeyID, "compromised", "")
	e.l.Advance(time.Second)

	wrongCount := e.build("b-1", "", 4, e.market, nil)
	wrongCount.header.Count = 5 // edited after signing
	badJSON := `{"id":"b-1"`
	cases := []struct {
		name string
		tx   ledgertest.Tx
		in   string
		code string
	}{
		{"malformed", market, badJSON, codes.InvalidArgument},
		{"invalid field", market, js(e.build("b 1", "", 4, e.market, nil).header), codes.InvalidArgument},
		{"rotated key", market, js(e.build("b-1", "", 4, rotated, nil).header), codes.Forbidden},
		{"revoked key", market, js(e.build("b-1", "", 4, revoked, nil).header), codes.Forbidden},
		{"key of nobody", market, js(e.build("b-1", "", 4, stranger, nil).header), codes.Forbidden},
		{"key of another department", market, js(e.build("b-1", "", 4, e.police, nil).header), codes.Forbidden},
		{"leaf count edited", market, js(wrongCount.header), codes.BadSignature},
		{"submitter of another MSP", police, js(e.build("b-1", "", 4, e.market, nil).header), codes.Forbidden},
		{"another department's category", market, js(e.build("b-1", "", 4, e.market, func(h *batch.Header) { h.Types = []string{"firearm-permit"} }).header), codes.Forbidden},
		{"window passed", market, js(e.build("b-1", "", 4, e.market, func(h *batch.Header) {
			h.WindowFrom, h.WindowUntil = "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"
		}).header), codes.InvalidArgument},
		{"window ahead", market, js(e.build("b-1", "", 4, e.market, func(h *batch.Header) {
			h.WindowFrom, h.WindowUntil = "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z"
		}).header), codes.InvalidArgument},
		{"unknown department", market, js(e.build("b-1", "", 4, e.market, func(h *batch.Header) { h.Issuer = "ghost" }).header), codes.NotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { refused(t, e.l.Submit(c.tx, "batch:Anchor", c.in), c.code) })
	}
	// Nothing anchored: the first good header still needs previous "".
	e.l.MustSubmit(market, "batch:Anchor", js(e.build("b-1", "", 4, successor, nil).header))
}

// status returns a signed status request on certificate id with prevTxId prev,
// carrying the batched leaf when b is set.
func (e *env) status(id, action, prev string, leaf *certificate.Batched) string {
	req := domain.StatusRequest{CertificateID: id, Action: action, Reason: "reason " + action, KeyID: e.market.KeyID, PrevTxID: prev}
	req.Signature = e.market.Sign(e.t, canon.KindCertificateStatus, req)
	m := map[string]any{}
	b, _ := json.Marshal(req)
	_ = json.Unmarshal(b, &m)
	if leaf != nil {
		m["batched"] = leaf
	}
	return js(m)
}

func TestStatusOfBatchedCertificate(t *testing.T) {
	e := setup(t)
	b := e.build("b-1", "", 9, e.market, nil)
	anchor := e.l.MustSubmit(market, "batch:Anchor", js(b.header))
	leaf := func(i int) *certificate.Batched {
		return &certificate.Batched{Record: b.recs[i], Proof: batch.ProofOf("b-1", b.tree, i)}
	}
	id := b.recs[4].ID

	// Not on the ledger by itself until its status changes.
	refused(t, e.l.Submit(public, "certificate:Get", id), codes.NotFound)
	refused(t, e.l.Submit(market, "certificate:Suspend", e.status(id, "suspend", anchor.TxID, nil)), codes.NotFound)
	// Wrong leaves: another record, an edited record, a proof for another size, an unknown batch.
	refused(t, e.l.Submit(market, "certificate:Suspend", e.status(id, "suspend", anchor.TxID, leaf(5))), codes.InvalidArgument)
	edited := leaf(4)
	edited.Record.ValidUntil = "2035-01-01T00:00:00Z"
	refused(t, e.l.Submit(market, "certificate:Suspend", e.status(id, "suspend", anchor.TxID, edited)), codes.BadSignature)
	moved := leaf(4)
	moved.Proof = leaf(3).Proof
	refused(t, e.l.Submit(market, "certificate:Suspend", e.status(id, "suspend", anchor.TxID, moved)), codes.BadSignature)
	resized := leaf(4)
	resized.Proof.Size = 10
	refused(t, e.l.Submit(market, "certificate:Suspend", e.status(id, "suspend", anchor.TxID, resized)), codes.BadSignature)
	elsewhere := leaf(4)
	elsewhere.Proof.BatchID = "b-9"
	refused(t, e.l.Submit(market, "certificate:Suspend", e.status(id, "suspend", anchor.TxID, elsewhere)), codes.NotFound)
	// A batched id that names a certificate issued on its own: the status change
	// with the leaf is refused as a duplicate, the single certificate untouched.
	dup := b.recs[2]
	single := domain.Record{Fields: domain.Fields{ID: dup.ID, DocHash: gm.SM3Hex([]byte("single")), Type: "business-licence", Issuer: "market",
		HolderCommitment: dup.HolderCommitment, ValidFrom: "2026-01-01T00:00:00Z", KeyID: e.market.KeyID}}
	single.Signature = e.market.Sign(t, canon.KindCertificate, single)
	issued := e.l.MustSubmit(market, "certificate:Issue", js(single))
	refused(t, e.l.Submit(market, "certificate:Suspend", e.status(dup.ID, "suspend", issued.TxID, leaf(2))), codes.Conflict)
	// prevTxId must be the anchoring transaction.
	refused(t, e.l.Submit(market, "certificate:Suspend", e.status(id, "suspend", "some-other-tx", leaf(4))), codes.Conflict)
	// Another department cannot touch it.
	refused(t, e.l.Submit(police, "certificate:Suspend", e.status(id, "suspend", anchor.TxID, leaf(4))), codes.Forbidden)

	r := e.l.MustSubmit(market, "certificate:Suspend", e.status(id, "suspend", anchor.TxID, leaf(4)))
	var c domain.Certificate
	r.MustDecode(t, &c)
	if c.Status != domain.StatusSuspended || c.BatchID != "b-1" || c.IssuedAt != "2026-11-28T12:00:00Z" || c.Record != b.recs[4].Certificate() || c.TxID != r.TxID {
		t.Fatalf("certificate %+v", c)
	}
	if len(r.Writes) != 2 { // the record and its hash index
		t.Fatalf("writes %+v", r.Writes)
	}
	var byHash []domain.Certificate
	e.l.MustEvaluate(public, "certificate:FindByHash", c.DocHash).MustDecode(t, &byHash)
	if len(byHash) != 1 || byHash[0].ID != id {
		t.Fatalf("FindByHash %+v", byHash)
	}
	// From now on it is a certificate like any other; the leaf is no longer needed.
	r = e.l.MustSubmit(market, "certificate:Reinstate", e.status(id, "reinstate", r.TxID, nil))
	// Verified on the ledger by id: step 5 checks the batch header's signature.
	var res domain.Result
	e.l.MustEvaluate(public, "certificate:Verify", js(map[string]string{"id": id})).MustDecode(t, &res)
	if res.Verdict != wire.VerdictValid || res.Steps[4].Status != wire.StepPass || !strings.Contains(res.Steps[4].Detail, "batch b-1") {
		t.Fatalf("verify a batched certificate: %+v", res)
	}
	r = e.l.MustSubmit(market, "certificate:Revoke", e.status(id, "revoke", r.TxID, leaf(4)))
	r.MustDecode(t, &c)
	if c.Status != domain.StatusRevoked {
		t.Fatalf("certificate %+v", c)
	}

	// Supersede a batched certificate by a new single one.
	next := domain.Record{Fields: domain.Fields{
		ID: "new-1", DocHash: gm.SM3Hex([]byte("new")), Type: "business-licence", Issuer: "market", HolderCommitment: b.recs[7].HolderCommitment,
		ValidFrom: "2026-02-01T00:00:00Z", KeyID: e.market.KeyID, Supersedes: b.recs[7].ID,
	}}
	next.Signature = e.market.Sign(t, canon.KindCertificate, next)
	in := map[string]any{}
	raw, _ := json.Marshal(next)
	_ = json.Unmarshal(raw, &in)
	refused(t, e.l.Submit(market, "certificate:Supersede", js(in)), codes.NotFound)
	in["batched"] = leaf(7)
	e.l.MustSubmit(market, "certificate:Supersede", js(in))
	var old domain.Certificate
	e.l.MustEvaluate(public, "certificate:Get", b.recs[7].ID).MustDecode(t, &old)
	if old.Status != domain.StatusSuperseded || old.SupersededBy != "new-1" || old.BatchID != "b-1" {
		t.Fatalf("superseded %+v", old)
	}
}
