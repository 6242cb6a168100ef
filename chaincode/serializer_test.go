package chaincode_test

import (
	"reflect"
	"testing"

	"github.com/go-openapi/spec"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/hyperledger/fabric-contract-api-go/v2/serializer"
	"github.com/xeipuuv/gojsonschema"

	"github.com/certledger/certledger/chaincode"
)

func compiled(t *testing.T, prop string, s *spec.Schema) *gojsonschema.Schema {
	t.Helper()
	props := map[string]spec.Schema{prop: *s}
	c, err := gojsonschema.NewSchema(gojsonschema.NewGoLoader(spec.Schema{SchemaProps: spec.SchemaProps{
		Type: spec.StringOrArray{"object"}, Properties: props, Required: []string{prop}}}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSerializerAsJSONSerializer: the serializer answers what contractapi's
// JSONSerializer answers — the same values, and the same refusals whenever a
// schema constrains a string or the type is not a plain string.
func TestSerializerAsJSONSerializer(t *testing.T) {
	plain := spec.StringProperty()
	pattern := spec.StringProperty().WithPattern("^a+$")
	intSchema := spec.Int64Property()
	cases := []struct {
		name   string
		param  string
		typ    reflect.Type
		schema *spec.Schema
	}{
		{"plain string", `{"records":[]}`, reflect.TypeFor[string](), plain},
		{"plain, not UTF-8", "\xff\xfe", reflect.TypeFor[string](), plain},
		{"pattern kept", "aaa", reflect.TypeFor[string](), pattern},
		{"pattern refuses", "abc", reflect.TypeFor[string](), pattern},
		{"int", "42", reflect.TypeFor[int](), intSchema},
		{"int refuses", "x", reflect.TypeFor[int](), intSchema},
	}
	var ours chaincode.Serializer
	var theirs serializer.JSONSerializer
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			md := &metadata.ParameterMetadata{Name: "prop", Schema: c.schema, CompiledSchema: compiled(t, "prop", c.schema)}
			for range 2 { // the second call uses the cached schema verdict
				got, gerr := ours.FromString(c.param, c.typ, md, nil)
				want, werr := theirs.FromString(c.param, c.typ, md, nil)
				if (gerr == nil) != (werr == nil) || (gerr == nil && !reflect.DeepEqual(got.Interface(), want.Interface())) {
					t.Fatalf("FromString = %v, %v; JSONSerializer %v, %v", got, gerr, want, werr)
				}
				if gerr != nil {
					continue
				}
				rmd := &metadata.ReturnMetadata{Schema: c.schema, CompiledSchema: compiled(t, "return", c.schema)}
				gs, gerr := ours.ToString(got, c.typ, rmd, nil)
				ws, werr := theirs.ToString(want, c.typ, rmd, nil)
				if gs != ws || (gerr == nil) != (werr == nil) {
					t.Fatalf("ToString = %q, %v; JSONSerializer %q, %v", gs, gerr, ws, werr)
				}
			}
		})
	}
}
