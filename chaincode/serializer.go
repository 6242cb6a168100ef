package chaincode

import (
	"encoding/json"
	"reflect"
	"sync"

	"github.com/go-openapi/spec"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/hyperledger/fabric-contract-api-go/v2/serializer"
)

// Serializer is contractapi's JSONSerializer without the JSON-schema pass over
// arguments and results that are plain Go strings described by the schema
// {"type":"string"} — every certledger transaction's: such a schema accepts
// every string, so the pass (gojsonschema marshals the value to JSON and
// decodes it back; 10 µs per record for a 0.26 MB certificate:IssueGroup
// input) never refuses anything. Any other type, or a string schema with a
// constraint (a metadata file may add a pattern, a length, an enum), goes
// through JSONSerializer unchanged. The metadata the chaincode publishes is not
// affected.
type Serializer struct {
	serializer.JSONSerializer
	plain sync.Map // *spec.Schema → bool: is it exactly {"type":"string"}
}

var stringType = reflect.TypeFor[string]()

// FromString converts an argument as JSONSerializer does.
func (s *Serializer) FromString(param string, fieldType reflect.Type, md *metadata.ParameterMetadata, components *metadata.ComponentMetadata) (reflect.Value, error) {
	if fieldType == stringType && (md == nil || s.plainString(md.Schema)) {
		return reflect.ValueOf(param), nil
	}
	return s.JSONSerializer.FromString(param, fieldType, md, components)
}

// ToString converts a result as JSONSerializer does.
func (s *Serializer) ToString(result reflect.Value, resultType reflect.Type, md *metadata.ReturnMetadata, components *metadata.ComponentMetadata) (string, error) {
	if resultType == stringType && result.Kind() == reflect.String && (md == nil || s.plainString(md.Schema)) {
		return result.String(), nil
	}
	return s.JSONSerializer.ToString(result, resultType, md, components)
}

// plainString reports whether schema is exactly {"type":"string"}: decided
// once per schema (contractapi builds them once, with the chaincode).
func (s *Serializer) plainString(schema *spec.Schema) bool {
	if schema == nil {
		return false
	}
	if v, ok := s.plain.Load(schema); ok {
		return v.(bool)
	}
	b, err := json.Marshal(schema)
	plain := err == nil && string(b) == `{"type":"string"}`
	s.plain.Store(schema, plain)
	return plain
}
