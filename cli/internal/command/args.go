package command

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// interspersed moves the flags of the leaf command in args in front of its
// positional arguments, so that "cert revoke ID --reason R" works: urfave/cli v2,
// like the flag package, stops parsing flags at the first positional argument.
// Everything after "--" stays positional.
func interspersed(app *cli.App, args []string) []string {
	if len(args) == 0 {
		return args
	}
	out := []string{args[0]}
	flags, cmds := app.Flags, app.Commands
	i := 1
	takeFlag := func(dst []string) []string {
		a := args[i]
		dst = append(dst, a)
		if !strings.Contains(a, "=") && takesValue(flags, strings.TrimLeft(a, "-")) && i+1 < len(args) {
			i++
			dst = append(dst, args[i])
		}
		i++
		return dst
	}
	for i < len(args) {
		a := args[i]
		if isFlagArg(a) {
			out = takeFlag(out)
			continue
		}
		if a == "--" {
			return append(out, args[i:]...)
		}
		cmd := findCommand(cmds, a)
		if cmd == nil {
			return append(out, args[i:]...)
		}
		out = append(out, a)
		i++
		flags, cmds = cmd.Flags, cmd.Subcommands
		if len(cmds) > 0 {
			continue
		}
		var fl, pos []string
		for i < len(args) {
			switch a := args[i]; {
			case a == "--":
				pos = append(pos, args[i:]...)
				i = len(args)
			case isFlagArg(a):
				fl = takeFlag(fl)
			default:
				pos = append(pos, a)
				i++
			}
		}
		out = append(out, fl...)
		if len(pos) > 0 && pos[0] != "--" {
			out = append(out, "--")
		}
		return append(out, pos...)
	}
	return out
}

func isFlagArg(a string) bool { return len(a) > 1 && a[0] == '-' && a != "--" }

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		for _, n := range c.Names() {
			if n == name {
				return c
			}
		}
	}
	return nil
}

func takesValue(flags []cli.Flag, name string) bool {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				if tv, ok := f.(interface{ TakesValue() bool }); ok {
					return tv.TakesValue()
				}
				return true
			}
		}
	}
	return false
}
