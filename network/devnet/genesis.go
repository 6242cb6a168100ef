package devnet

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/certledger/certledger/internal/chanpolicy"
	"os"
	"path/filepath"
	"sync"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/network/devnet/internal/blockstore"
	"github.com/certledger/certledger/network/devnet/internal/msp"
)

// ErrInitialised is returned by Init when dir already holds a devnet.
var ErrInitialised = errors.New("devnet already initialised")

// channelDef is what the genesis block fixes about the channel: the ledger's
// semantics. Operational settings (listen address, block cutting) stay in devnet.yaml.
type channelDef struct {
	Channel           string      `json:"channel"`
	Chaincode         string      `json:"chaincode"`
	EndorsementPolicy string      `json:"endorsementPolicy"`
	Orgs              []OrgConfig `json:"orgs"`
}

// Paths of a devnet folder.
func configPath(dir string) string  { return filepath.Join(dir, "devnet.yaml") }
func ledgerPath(dir string) string  { return filepath.Join(dir, "ledger", "ledger.db") }
func orgDir(dir, org string) string { return filepath.Join(dir, "orgs", org) }

// ProfilePath is the connection profile of an organisation's admin identity.
func ProfilePath(dir, org string) string { return filepath.Join(dir, "profiles", org+".yaml") }

// UserProfilePath is the connection profile of an organisation's (non-admin) user identity.
func UserProfilePath(dir, org string) string {
	return filepath.Join(dir, "profiles", org+"-user.yaml")
}

// Init creates a devnet in dir: the organisations' CAs and identities in Fabric's MSP
// layout, devnet.yaml, a connection profile per organisation and identity, and the
// ledger with its genesis block.
func Init(dir string, cfg Config) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(ledgerPath(dir)); err == nil {
		return fmt.Errorf("%w in %s", ErrInitialised, dir)
	}
	if err := os.MkdirAll(filepath.Dir(ledgerPath(dir)), 0o755); err != nil {
		return err
	}
	for _, o := range cfg.Orgs {
		spec := msp.OrgSpec{Name: o.Name, MSPID: o.MSPID, Orderer: o.Governance, Hosts: cfg.Hosts}
		if err := msp.GenerateOrg(orgDir(dir, o.Name), spec); err != nil {
			return fmt.Errorf("generating organisation %s: %w", o.Name, err)
		}
	}
	if err := saveConfig(configPath(dir), cfg); err != nil {
		return err
	}
	if err := writeProfiles(dir, cfg, cfg.Listen); err != nil {
		return err
	}
	gov := cfg.governance()
	orderer, err := msp.LoadSigner(gov.MSPID, msp.OrgLayout{Dir: orgDir(dir, gov.Name)}.OrdererDir())
	if err != nil {
		return err
	}
	blk, err := genesisBlock(dir, cfg, orderer)
	if err != nil {
		return err
	}
	st, err := blockstore.Open(ledgerPath(dir), blockstore.Options{})
	if err != nil {
		return err
	}
	if err := st.AppendGenesis(blk); err != nil {
		_ = st.Close() // already returning the AppendGenesis error
		return err
	}
	return st.Close()
}

var profileMu sync.Mutex

func writeProfiles(dir string, cfg Config, endpoint string) error {
	profileMu.Lock()
	defer profileMu.Unlock()
	for _, o := range cfg.Orgs {
		l := msp.OrgLayout{Dir: orgDir(dir, o.Name)}
		for _, id := range []struct{ path, user string }{
			{ProfilePath(dir, o.Name), msp.AdminName},
			{UserProfilePath(dir, o.Name), msp.UserName},
		} {
			p := &profile.Profile{
				Name:      o.Name,
				MSPID:     o.MSPID,
				Peer:      profile.Peer{Endpoint: endpoint},
				CertPath:  msp.SignCert(l.UserDir(id.user)),
				KeyPath:   msp.KeyFile(l.UserDir(id.user)),
				Channel:   cfg.Channel,
				Chaincode: cfg.Chaincode,
			}
			if cfg.TLSEnabled() {
				p.Peer.ServerName = msp.PeerHost(o.Name)
				p.Peer.TLSCACert = l.TLSCACert()
				p.ClientTLSCert = msp.ClientTLSCert(l.UserDir(id.user))
				p.ClientTLSKey = msp.ClientTLSKey(l.UserDir(id.user))
			}
			// Write then rename, so that a reader never sees a half-written profile.
			tmp := id.path + ".tmp"
			if err := profile.Save(tmp, p); err != nil {
				return fmt.Errorf("writing profile: %w", err)
			}
			if err := os.Rename(tmp, id.path); err != nil {
				return err
			}
		}
	}
	return nil
}

func genesisBlock(dir string, cfg Config, orderer *msp.Signer) (*common.Block, error) {
	app := &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{}}
	for _, o := range cfg.Orgs {
		l := msp.OrgLayout{Dir: orgDir(dir, o.Name)}
		ca, err := os.ReadFile(l.CACert())
		if err != nil {
			return nil, err
		}
		tlsca, err := os.ReadFile(l.TLSCACert())
		if err != nil {
			return nil, err
		}
		ou := func(r msp.Role) *mspproto.FabricOUIdentifier {
			return &mspproto.FabricOUIdentifier{Certificate: ca, OrganizationalUnitIdentifier: string(r)}
		}
		fmc, err := proto.Marshal(&mspproto.FabricMSPConfig{
			Name: o.MSPID, RootCerts: [][]byte{ca}, TlsRootCerts: [][]byte{tlsca},
			FabricNodeOus: &mspproto.FabricNodeOUs{
				Enable: true, ClientOuIdentifier: ou(msp.RoleClient), PeerOuIdentifier: ou(msp.RolePeer),
				AdminOuIdentifier: ou(msp.RoleAdmin), OrdererOuIdentifier: ou(msp.RoleOrderer),
			},
		})
		if err != nil {
			return nil, err
		}
		mc, err := proto.Marshal(&mspproto.MSPConfig{Type: 0, Config: fmc})
		if err != nil {
			return nil, err
		}
		app.Groups[o.Name] = &common.ConfigGroup{Values: map[string]*common.ConfigValue{"MSP": {Value: mc}}}
	}
	def, err := json.Marshal(channelDef{Channel: cfg.Channel, Chaincode: cfg.Chaincode, EndorsementPolicy: cfg.EndorsementPolicy, Orgs: cfg.Orgs})
	if err != nil {
		return nil, err
	}
	conf := &common.ConfigEnvelope{Config: &common.Config{ChannelGroup: &common.ConfigGroup{
		Groups: map[string]*common.ConfigGroup{"Application": app},
		Values: map[string]*common.ConfigValue{chanpolicy.DevnetValueKey: {Value: def}},
	}}}
	data, err := proto.Marshal(conf)
	if err != nil {
		return nil, err
	}
	chdr, err := proto.Marshal(&common.ChannelHeader{Type: int32(common.HeaderType_CONFIG), ChannelId: cfg.Channel, Timestamp: timestamppb.Now()})
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	shdr, err := proto.Marshal(&common.SignatureHeader{Creator: orderer.Serialized(), Nonce: nonce})
	if err != nil {
		return nil, err
	}
	payload, err := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: chdr, SignatureHeader: shdr}, Data: data})
	if err != nil {
		return nil, err
	}
	sig, err := orderer.Sign(payload)
	if err != nil {
		return nil, err
	}
	env, err := proto.Marshal(&common.Envelope{Payload: payload, Signature: sig})
	if err != nil {
		return nil, err
	}
	blk := blockstore.NewBlock(0, nil, [][]byte{env})
	blk.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = []byte{byte(peer.TxValidationCode_VALID)}
	if err := signBlock(blk, orderer); err != nil {
		return nil, err
	}
	return blk, nil
}

// signBlock fills the SIGNATURES metadata as an orderer does: the signature covers
// the metadata value, the signature header and the block header bytes.
func signBlock(blk *common.Block, orderer *msp.Signer) error {
	value, err := proto.Marshal(&common.OrdererBlockMetadata{LastConfig: &common.LastConfig{Index: 0}})
	if err != nil {
		return err
	}
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	shdr, err := proto.Marshal(&common.SignatureHeader{Creator: orderer.Serialized(), Nonce: nonce})
	if err != nil {
		return err
	}
	msg := append(append(append([]byte(nil), value...), shdr...), blockstore.HeaderBytes(blk.Header)...)
	sig, err := orderer.Sign(msg)
	if err != nil {
		return err
	}
	md, err := proto.Marshal(&common.Metadata{Value: value, Signatures: []*common.MetadataSignature{{SignatureHeader: shdr, Signature: sig}}})
	if err != nil {
		return err
	}
	blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES] = md
	return nil
}

// readGenesis extracts the channel definition and the organisations' root CAs.
func readGenesis(blk *common.Block) (*channelDef, []*msp.Org, error) {
	if len(blk.GetData().GetData()) != 1 {
		return nil, nil, errors.New("genesis block must hold one envelope")
	}
	var env common.Envelope
	if err := proto.Unmarshal(blk.Data.Data[0], &env); err != nil {
		return nil, nil, err
	}
	var pl common.Payload
	if err := proto.Unmarshal(env.Payload, &pl); err != nil {
		return nil, nil, err
	}
	var ce common.ConfigEnvelope
	if err := proto.Unmarshal(pl.Data, &ce); err != nil {
		return nil, nil, err
	}
	cg := ce.GetConfig().GetChannelGroup()
	v := cg.GetValues()[chanpolicy.DevnetValueKey]
	if v == nil {
		return nil, nil, errors.New("genesis block has no devnet channel definition")
	}
	var def channelDef
	if err := json.Unmarshal(v.Value, &def); err != nil {
		return nil, nil, err
	}
	var orgs []*msp.Org
	for _, o := range def.Orgs {
		g := cg.GetGroups()["Application"].GetGroups()[o.Name]
		var mc mspproto.MSPConfig
		if err := proto.Unmarshal(g.GetValues()["MSP"].GetValue(), &mc); err != nil {
			return nil, nil, err
		}
		var fmc mspproto.FabricMSPConfig
		if err := proto.Unmarshal(mc.Config, &fmc); err != nil {
			return nil, nil, err
		}
		var roots []byte
		for _, r := range fmc.RootCerts {
			roots = append(roots, r...)
		}
		org, err := msp.NewOrg(fmc.Name, roots)
		if err != nil {
			return nil, nil, err
		}
		orgs = append(orgs, org)
	}
	return &def, orgs, nil
}
