package command

import (
	"os"

	"golang.org/x/term"
)

func termCheck(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
