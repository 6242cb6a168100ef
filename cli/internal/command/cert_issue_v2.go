package command

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/issue"
	"github.com/certledger/certledger/cli/internal/manifest"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/urfave/cli/v2"
)

// DefaultTZ is the time zone people read times in unless --tz / CERTLEDGER_TZ say otherwise.
const DefaultTZ = "Asia/Shanghai"

func tzFlag() cli.Flag {
	return &cli.StringFlag{Name: "tz", Usage: "time `ZONE` for dates and times read by people", Value: DefaultTZ, EnvVars: []string{"CERTLEDGER_TZ"}}
}

func tzOf(c *cli.Context) (*time.Location, error) {
	name := c.String("tz")
	if name == "" {
		name = DefaultTZ
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, Usagef("--tz %q is not a time zone (such as Asia/Shanghai)", name)
	}
	return loc, nil
}

// v2IssueFlags are the flags of a v2 issue (GB/T 36903 metadata, GB/T 36904 identifier).
func v2IssueFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "serial", Usage: "v2: the department's certificate `NUMBER` (0-9, A-Z), part of the identifier"},
		&cli.StringFlag{Name: "version", Usage: "v2: identifier `VERSION`, 3 digits", Value: issue.DefaultVersion},
		&cli.StringFlag{Name: "name", Usage: "v2: certificate `NAME` (证照名称; default: the type's name)"},
		&cli.StringFlag{Name: "holder-name", Usage: "v2: holder's `NAME` (only its salted commitment leaves this machine)"},
		&cli.StringFlag{Name: "holder-name-file", Usage: "v2: read the holder's name from the first line of `FILE`"},
		&cli.StringFlag{Name: "issue-date", Usage: "v2: issue `DATE` YYYY-MM-DD (颁发日期; default: today in --tz)"},
		&cli.StringSliceFlag{Name: "ext", Usage: "v2: sector field `KZ_NAME=VALUE` (repeat; at most 32)"},
		tzFlag(),
	}
}

// isTypeCode reports whether --type names a catalogue type code (a v2 issue)
// rather than a free-form v1 type.
func isTypeCode(s string) bool {
	return len(s) == identifier.TypeCodeLength && !strings.ContainsAny(s, "-_ ")
}

// certIssueV2 issues one v2 certificate: the type from the catalogue, the
// department's code and name from the registry, the identifier built from type
// code, department code, serial and version.
func certIssueV2(c *cli.Context) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	if c.String("file") == "" {
		return Usagef("cert issue with a type code needs --file")
	}
	holderCode, err := holderID(c)
	if err != nil {
		return err
	}
	req := issue.Request{File: c.String("file"), HolderID: holderCode, ValidFrom: c.String("valid-from"), ValidUntil: c.String("valid-until"), ID: c.String("id")}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	return runV2(c, p, cl, req, c.String("type"), c.String("serial"), c.String("version"), "issued")
}

// certSupersedeV2 replaces certificate cur by a v2 certificate. When cur is a v2
// certificate, the new one keeps its type and serial and takes the next version
// (001 -> 002), unless --type, --serial or --version say otherwise.
func certSupersedeV2(c *cli.Context, p output.Printer, cl *client.Client, cur *client.Certificate, req issue.Request) error {
	typeCode, serial, version := c.String("type"), c.String("serial"), c.String("version")
	if old, ok := cur.Identifier(); ok {
		if typeCode == "" {
			typeCode = old.TypeCode
		}
		if serial == "" {
			serial = old.Serial
		}
		if !c.IsSet("version") {
			n, _ := strconv.Atoi(old.Version)
			if n >= 999 {
				return Usagef("certificate %s is at version 999: give --serial and --version", cur.ID)
			}
			version = fmt.Sprintf("%03d", n+1)
		}
	}
	if serial == "" {
		return Usagef("superseding %s with a v2 certificate needs --serial", cur.ID)
	}
	return runV2(c, p, cl, req, typeCode, serial, version, "superseded "+cur.ID+" with")
}

// runV2 completes req as a v2 request (catalogue type, the department's code and
// name, the identifier's parts, holder name, extensions) and issues it.
func runV2(c *cli.Context, p output.Printer, cl *client.Client, req issue.Request, typeCode, serial, version, what string) error {
	if err := identifier.CheckTypeCode(typeCode); err != nil {
		return Usagef("--type: %s", strings.TrimPrefix(err.Error(), codes.InvalidArgument+": "))
	}
	if serial == "" {
		return Usagef("a v2 certificate needs --serial")
	}
	if err := identifier.CheckSerial(serial); err != nil {
		return Usagef("--serial: %s", strings.TrimPrefix(err.Error(), codes.InvalidArgument+": "))
	}
	if err := identifier.CheckVersion(version); err != nil {
		return Usagef("--version: %s", strings.TrimPrefix(err.Error(), codes.InvalidArgument+": "))
	}
	holderName, err := firstLine(c, "holder-name", "holder-name-file")
	if err != nil {
		return err
	}
	ext := map[string]string{}
	for _, kv := range c.StringSlice("ext") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return Usagef("--ext %q: want KZ_NAME=VALUE", kv)
		}
		if _, dup := ext[k]; dup {
			return Usagef("--ext %s is given twice", k)
		}
		ext[k] = v
	}
	loc, err := tzOf(c)
	if err != nil {
		return err
	}
	if st, err := os.Stat(req.File); err != nil {
		return inputErr(err)
	} else if st.IsDir() {
		return Usagef("%s is a directory", req.File)
	}
	for flag, v := range map[string]string{"valid-from": req.ValidFrom, "valid-until": req.ValidUntil} {
		if v != "" {
			if _, err := issue.NormalizeTime(v, flag == "valid-until"); err != nil {
				return Usagef("--%s: %v", flag, err)
			}
		}
	}
	is, err := newIssuer(c, cl)
	if err != nil {
		return err
	}
	ty, err := cl.GetCertType(c.Context, typeCode)
	if client.HasCode(err, codes.NotFound) {
		return Invalidf("certificate type %s is not in the catalogue (certledger type list)", typeCode)
	} else if err != nil {
		return err
	}
	dept, err := cl.GetDepartment(c.Context, is.Signer.Dept)
	if err != nil {
		return fmt.Errorf("reading department %s: %w", is.Signer.Dept, err)
	}
	if dept.Code == "" {
		return Invalidf("department %s has no unified social credit code (certledger dept set-code %s CODE)", dept.ID, dept.ID)
	}
	if err := ty.MayIssue(dept.ID); err != nil {
		return Invalidf("%s", strings.TrimPrefix(err.Error(), codes.Forbidden+": "))
	}
	req.V2 = &issue.V2{
		Type: *ty, DeptCode: dept.Code, DeptName: dept.Name, Serial: serial, Version: version,
		Name: c.String("name"), HolderName: holderName, IssueDate: c.String("issue-date"), Extensions: ext, Loc: loc,
	}
	return issueAndPrint(c, p, is, req, what)
}

// firstLine returns the value of flag, or the first line of the file named by fileFlag.
func firstLine(c *cli.Context, flag, fileFlag string) (string, error) {
	v, file := c.String(flag), c.String(fileFlag)
	if v != "" && file != "" {
		return "", Usagef("give --%s or --%s, not both", flag, fileFlag)
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", inputErr(err)
		}
		v = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	}
	if strings.TrimSpace(v) == "" {
		return "", Usagef("give --%s or --%s", flag, fileFlag)
	}
	return v, nil
}

// holderCodeTypeText names a holder code type for people.
func holderCodeTypeText(code string) string {
	if en, zh := certtype.HolderCodeTypeName(code); en != "" {
		return code + " (" + en + " · " + zh + ")"
	}
	return code
}

// checkV2Row checks a v2 manifest row's identifier parts before any network work.
func checkV2Row(r manifest.Row) error {
	trim := func(err error) error { return errors.New(strings.TrimPrefix(err.Error(), codes.InvalidArgument+": ")) }
	if err := identifier.CheckTypeCode(r.Type); err != nil {
		return trim(err)
	}
	if err := identifier.CheckSerial(r.Serial); err != nil {
		return trim(err)
	}
	if r.Version != "" {
		if err := identifier.CheckVersion(r.Version); err != nil {
			return trim(err)
		}
	}
	if r.IssueDate != "" {
		if _, err := time.Parse("2006-01-02", r.IssueDate); err != nil {
			return fmt.Errorf("issue_date %q: want YYYY-MM-DD", r.IssueDate)
		}
	}
	return nil
}

// bulkV2 reads, once, what the v2 rows of a manifest need from the ledger: each
// type of the catalogue they name (refusing types that are missing or that the
// department may not issue) and the department's code and name. It returns nil
// when the manifest has no v2 rows.
func bulkV2(c *cli.Context, cl *client.Client, deptID string, rows []manifest.Row) (func(manifest.Row) (*issue.V2, error), error) {
	k := newV2Catalogue(c, cl, deptID)
	checked := map[string]bool{}
	for _, r := range rows {
		if r.V2() && !checked[r.Type] {
			checked[r.Type] = true
			if _, err := k.complete(r); err != nil {
				return nil, err
			}
		}
	}
	if len(checked) == 0 {
		return nil, nil
	}
	return k.complete, nil
}

// v2Catalogue completes v2 manifest rows from the ledger: the department's
// code and name (read once) and each catalogue type (read on its first row),
// refusing a type that the department may not issue by the rule the ledger
// applies (certificate.AuthorizeType). A batch build streams its manifest and
// asks as rows come; it is not safe for concurrent use.
type v2Catalogue struct {
	c      *cli.Context
	cl     *client.Client
	deptID string
	dept   *client.Department
	loc    *time.Location
	types  map[string]*client.CertType
}

func newV2Catalogue(c *cli.Context, cl *client.Client, deptID string) *v2Catalogue {
	return &v2Catalogue{c: c, cl: cl, deptID: deptID, types: map[string]*client.CertType{}}
}

// complete returns what row r's v2 record needs beyond the row.
func (k *v2Catalogue) complete(r manifest.Row) (*issue.V2, error) {
	if k.dept == nil {
		dept, err := k.cl.GetDepartment(k.c.Context, k.deptID)
		if err != nil {
			return nil, fmt.Errorf("reading department %s: %w", k.deptID, err)
		}
		if dept.Code == "" {
			return nil, Invalidf("department %s has no unified social credit code (certledger dept set-code %s CODE)", dept.ID, dept.ID)
		}
		if k.loc, err = tzOf(k.c); err != nil {
			return nil, err
		}
		k.dept = dept
	}
	ty, ok := k.types[r.Type]
	if !ok {
		var err error
		ty, err = k.cl.GetCertType(k.c.Context, r.Type)
		switch {
		case client.HasCode(err, codes.NotFound):
			ty = nil
		case err != nil:
			return nil, err
		}
		if err := certificate.AuthorizeType(r.Type, ty, *k.dept); err != nil {
			return nil, Invalidf("%s (certledger type list)", strings.TrimPrefix(err.Error(), codes.Forbidden+": "))
		}
		k.types[r.Type] = ty
	}
	return &issue.V2{
		Type: *ty, DeptCode: k.dept.Code, DeptName: k.dept.Name, Serial: r.Serial, Version: r.Version,
		Name: r.Name, HolderName: r.HolderName, IssueDate: r.IssueDate, Extensions: r.Extensions, Loc: k.loc,
	}, nil
}
