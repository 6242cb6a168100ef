// Command longfuncs prints the longest functions of the production Go code (every
// .go file of the module except _test.go files, generated code and the vendored
// internal/third_party) and fails when one is longer than -max lines (default
// 100), counted from the func line to the closing brace. make lint runs it:
//
//	go run ./scripts/longfuncs [-max 100] [-top 15] [dir]
package main

import (
	"cmp"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// fn is one function and its length in lines.
type fn struct {
	pos   token.Position
	name  string
	lines int
}

func main() {
	maxLines := flag.Int("max", 100, "longest allowed function, in lines")
	top := flag.Int("top", 15, "how many of the longest functions to print")
	flag.Parse()
	root := "."
	if flag.NArg() > 0 {
		root = flag.Arg(0)
	}
	fns, err := scan(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "longfuncs:", err)
		os.Exit(2)
	}
	slices.SortFunc(fns, func(a, b fn) int { return cmp.Or(b.lines-a.lines, strings.Compare(a.pos.String(), b.pos.String())) })
	over := 0
	for i, f := range fns {
		if f.lines > *maxLines {
			over++
		}
		if i < *top || f.lines > *maxLines {
			fmt.Printf("%5d  %s  %s\n", f.lines, f.name, f.pos)
		}
	}
	if over > 0 {
		fmt.Fprintf(os.Stderr, "longfuncs: %d production function(s) longer than %d lines\n", over, *maxLines)
		os.Exit(1)
	}
}

// scan parses every production .go file under root.
func scan(root string) ([]fn, error) {
	fset := token.NewFileSet()
	var out []fn
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "vendor" || d.Name() == "third_party") {
				// third_party: vendored upstream code (internal/third_party/README.md), kept as upstream wrote it.
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if ast.IsGenerated(f) {
			return nil
		}
		out = append(out, funcs(fset, f)...)
		return nil
	})
	return out, err
}

// funcs lists the function and method declarations of f with their lengths.
func funcs(fset *token.FileSet, f *ast.File) []fn {
	var out []fn
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		name := fd.Name.Name
		if fd.Recv != nil && len(fd.Recv.List) > 0 {
			name = "(" + recvType(fd.Recv.List[0].Type) + ")." + name
		}
		start, end := fset.Position(fd.Pos()), fset.Position(fd.End())
		out = append(out, fn{pos: start, name: name, lines: end.Line - start.Line + 1})
	}
	return out
}

// recvType is the receiver's type name (*T, T, T[K]).
func recvType(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return "*" + recvType(t.X)
	case *ast.Ident:
		return t.Name
	case *ast.IndexExpr:
		return recvType(t.X)
	case *ast.IndexListExpr:
		return recvType(t.X)
	}
	return "?"
}
