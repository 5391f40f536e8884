package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// Given is what a command line said of the settings: the --config path and each flag's
// text as given, read and checked by Load as a file's value would be.
type Given struct {
	ConfigPath string
	flags      []*flagValue // in settings' order
}

// Bind registers --config and the flag of every setting cmd takes on fs; what the
// command line gives lands in the Given, for Load.
func Bind(fs *pflag.FlagSet, cmd Command) *Given {
	g := &Given{}
	fs.StringVar(&g.ConfigPath, "config", "", "config file `PATH` (TOML)")
	for i := range settings {
		s := &settings[i]
		if s.flag == "" || s.cmds&cmd == 0 {
			continue
		}
		f := &flagValue{s: s}
		g.flags = append(g.flags, f)
		flag := fs.VarPF(f, s.flag, "", s.usage)
		flag.DefValue = s.usageDefault()
		if s.kind == toggle {
			flag.NoOptDefVal = "true"
		}
	}
	return g
}

// flagValue is a setting's flag: the text of each time it was given.
type flagValue struct {
	s     *setting
	texts []string
}

func (f *flagValue) String() string { return strings.Join(f.texts, ",") }

func (f *flagValue) Set(s string) error {
	if f.s.kind == list {
		f.texts = append(f.texts, s)
	} else {
		f.texts = []string{s}
	}
	return nil
}

// Type names the flag's value in help: the placeholder of its usage.
func (f *flagValue) Type() string {
	if f.s.kind == toggle {
		return "bool"
	}
	if _, rest, ok := strings.Cut(f.s.usage, "`"); ok {
		name, _, _ := strings.Cut(rest, "`")
		return name
	}
	return "value"
}

// value is the flag's text as a config file would give it.
func (f *flagValue) value() (any, error) {
	last := f.texts[len(f.texts)-1]
	switch f.s.kind {
	case whole:
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", last)
		}
		return n, nil
	case toggle:
		b, err := strconv.ParseBool(last)
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", last)
		}
		return b, nil
	case list:
		out := make([]any, len(f.texts))
		for i, t := range f.texts {
			out[i] = t
		}
		return out, nil
	}
	return last, nil
}

// given says how a flag was given, for messages that quote it: "--ascii" or
// "--ascii=false".
func (f *flagValue) given() string {
	if f.s.kind == toggle && f.texts[len(f.texts)-1] != "true" {
		return "--" + f.s.flag + "=" + f.texts[len(f.texts)-1]
	}
	return "--" + f.s.flag
}

// flags lays the flags given over the configuration, each checked as in the file. Two
// flags that contradict each other are refused.
func (l *loader) flags(cmd Command, g *Given) error {
	for _, f := range g.flags {
		if len(f.texts) == 0 || f.s.cmds&cmd == 0 {
			continue
		}
		v, err := f.value()
		if err == nil {
			err = f.s.set(l, v)
		}
		if err != nil {
			return fmt.Errorf("--%s: %w", f.s.flag, err)
		}
		l.cfg.given[f.s.name()] = f.given()
		l.flagGiven = append(l.flagGiven, f.s.flag)
	}
	has := func(flag string) bool {
		for _, f := range l.flagGiven {
			if f == flag {
				return true
			}
		}
		return false
	}
	demo := has("demo") && l.cfg.given["demo"] == "--demo"
	switch {
	case demo && has("source") && l.cfg.Source != Demo:
		return fmt.Errorf("--demo and --source %s ask for two sources: give one", l.cfg.Source)
	case has("prometheus-url") && !has("source") && !demo:
		l.cfg.Source = Prometheus // the flag says where to read from, and so what
	}
	return nil
}
