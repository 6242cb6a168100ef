package command

import (
	"github.com/certledger/certledger/cli/internal/keyfile"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/gm"
	"github.com/urfave/cli/v2"
)

func keysCommand() *cli.Command {
	return &cli.Command{
		Name:  "keys",
		Usage: "make and inspect SM2 key files",
		Subcommands: []*cli.Command{
			{
				Name:      "generate",
				Usage:     "generate an SM2 key pair into a PKCS#8 PEM file (mode 0600)",
				ArgsUsage: " ",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "out", Usage: "private key `FILE` to write", Required: true},
					&cli.StringFlag{Name: "pub-out", Usage: "also write the public key (PKIX PEM) to `FILE`"},
					passwordFlag(),
					&cli.BoolFlag{Name: "force", Usage: "overwrite existing files"},
				},
				Action: keysGenerate,
			},
			{
				Name:      "show",
				Usage:     "print the key id and public key of a private or public key file",
				ArgsUsage: "FILE",
				Flags:     []cli.Flag{passwordFlag()},
				Action:    keysShow,
			},
		},
	}
}

type keyView struct {
	File      string `json:"file"`
	Kind      string `json:"kind"` // private | public
	KeyID     string `json:"keyId"`
	PublicKey string `json:"publicKey"`
	PubFile   string `json:"publicKeyFile,omitempty"`
	Encrypted bool   `json:"encrypted,omitempty"`
}

func keysGenerate(c *cli.Context) error {
	if c.NArg() > 0 {
		return Usagef("keys generate takes no arguments (use --out FILE)")
	}
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	pw, err := keyfile.ReadPassword(c.String("password-file"))
	if err != nil {
		return inputErr(err)
	}
	k, err := gm.GenerateKey()
	if err != nil {
		return err
	}
	privPEM, err := gm.MarshalPrivateKeyPEM(k, pw)
	if err != nil {
		return err
	}
	pubPEM, keyID, err := keyfile.PublicPEM(&k.PublicKey)
	if err != nil {
		return err
	}
	force := c.Bool("force")
	if err := keyfile.WriteNew(c.String("out"), privPEM, 0o600, force); err != nil {
		return inputErr(err)
	}
	v := keyView{File: c.String("out"), Kind: "private", KeyID: keyID, PublicKey: pubPEM, Encrypted: pw != nil}
	if pub := c.String("pub-out"); pub != "" {
		if err := keyfile.WriteNew(pub, []byte(pubPEM), 0o644, force); err != nil {
			return inputErr(err)
		}
		v.PubFile = pub
	}
	return p.Print(v, func(t *output.Tab) {
		t.KV("private key", v.File+" (mode 0600"+map[bool]string{true: ", encrypted)", false: ")"}[v.Encrypted])
		if v.PubFile != "" {
			t.KV("public key", v.PubFile)
		}
		t.KV("key id", v.KeyID)
		t.Line(v.PublicKey)
	})
}

func keysShow(c *cli.Context) error {
	if c.NArg() != 1 {
		return Usagef("keys show takes one FILE")
	}
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	path := c.Args().First()
	pub, private, err := keyfile.LoadPublic(path, c.String("password-file"))
	if err != nil {
		return inputErr(err)
	}
	pubPEM, keyID, err := keyfile.PublicPEM(pub)
	if err != nil {
		return inputErr(err)
	}
	v := keyView{File: path, Kind: "public", KeyID: keyID, PublicKey: pubPEM}
	if private {
		v.Kind = "private"
	}
	return p.Print(v, func(t *output.Tab) {
		t.KV("file", v.File+" ("+v.Kind+" key)")
		t.KV("key id", v.KeyID)
		t.Line(v.PublicKey)
	})
}
