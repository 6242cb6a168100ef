package devnet

import "google.golang.org/protobuf/encoding/protowire"

// lenField is a length-delimited protobuf field to encode: bytes, or a message
// given as its own fields. Encoding a nested message with proto.Marshal copies
// every inner bytes field once per level; encoding the tree at once writes each
// only once, with the bytes proto.Marshal would produce (fields in number order,
// an empty bytes field left out, a set message field kept even when empty).
type lenField struct {
	num      protowire.Number
	raw      []byte     // the contents of a bytes field or of a marshalled message
	sub      []lenField // the fields of a message, in number order (raw is then unused)
	msg      bool       // a message field: present even when empty
	verbatim bool       // raw is already-encoded fields, written as they are (num unused)
}

func (f *lenField) contentSize() int {
	if f.sub == nil {
		return len(f.raw)
	}
	n := 0
	for i := range f.sub {
		n += f.sub[i].size()
	}
	return n
}

func (f *lenField) size() int {
	if f.verbatim {
		return len(f.raw)
	}
	n := f.contentSize()
	if n == 0 && !f.msg {
		return 0
	}
	return protowire.SizeTag(f.num) + protowire.SizeBytes(n)
}

func (f *lenField) appendTo(b []byte) []byte {
	if f.verbatim {
		return append(b, f.raw...)
	}
	n := f.contentSize()
	if n == 0 && !f.msg {
		return b
	}
	b = protowire.AppendTag(b, f.num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	if f.sub == nil {
		return append(b, f.raw...)
	}
	for i := range f.sub {
		b = f.sub[i].appendTo(b)
	}
	return b
}

// encodeFields encodes a message made of length-delimited fields.
func encodeFields(fields ...lenField) []byte {
	n := 0
	for i := range fields {
		n += fields[i].size()
	}
	b := make([]byte, 0, n)
	for i := range fields {
		b = fields[i].appendTo(b)
	}
	return b
}
