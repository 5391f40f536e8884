package docs

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// tree is a small command tree with a hidden command, as wamon's has docs.
func tree() *cobra.Command {
	root := &cobra.Command{Use: "wamon", Short: "the console", Long: "wamon: the console.\n\nUsage: wamon [flags]\n       wamon serve [flags]    the console over SSH\n\nProse that flows\nover two lines.\n", Run: func(*cobra.Command, []string) {}}
	root.Flags().String("config", "", "config file `PATH`")
	serve := &cobra.Command{Use: "serve", Short: "the console over SSH", Run: func(*cobra.Command, []string) {}}
	serve.Flags().String("ssh-listen", "127.0.0.1:2222", "listen at `ADDRESS`")
	root.AddCommand(serve, Command("1.2.3"))
	return root
}

func gunzip(t *testing.T, p string) string {
	t.Helper()
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// gzip -n: no name and no time in the header, so a page is the same at every build.
	if raw[4]|raw[5]|raw[6]|raw[7] != 0 || raw[3]&0x08 != 0 {
		t.Errorf("%s: the gzip header carries a time or a name", p)
	}
	gz, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	text, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	return string(text)
}

// wamon docs DIR writes a gzipped page per command that help lists (the completion
// command and its shells included, the hidden docs and help left out), and the
// completion scripts wamon completion SHELL prints; a page left from an earlier run
// of a command that is no more goes.
func TestDocsWritesPagesAndCompletions(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ManDir), 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ManDir, "wamon-gone.1.gz")
	if err := os.WriteFile(stale, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	root := tree()
	root.SetArgs([]string{"docs", dir})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}

	pages, _ := filepath.Glob(filepath.Join(dir, ManDir, "*"))
	var names []string
	for _, p := range pages {
		names = append(names, filepath.Base(p))
	}
	want := []string{"wamon-completion-bash.1.gz", "wamon-completion-fish.1.gz", "wamon-completion-powershell.1.gz",
		"wamon-completion-zsh.1.gz", "wamon-completion.1.gz", "wamon-serve.1.gz", "wamon.1.gz"}
	if !slices.Equal(names, want) {
		t.Errorf("pages %q, want %q", names, want)
	}
	page := gunzip(t, filepath.Join(dir, ManDir, "wamon-serve.1.gz"))
	for _, s := range []string{`.TH "WAMON-SERVE" "1"`, `"wamon 1.2.3" "wamon manual"`, "ssh-listen", "127.0.0.1:2222"} {
		if !strings.Contains(page, s) {
			t.Errorf("wamon-serve.1.gz has no %q:\n%s", s, page)
		}
	}
	// The usage block keeps its lines; prose flows.
	page = gunzip(t, filepath.Join(dir, ManDir, "wamon.1.gz"))
	if !strings.Contains(page, "Usage: wamon [flags]\n.br\n") || !strings.Contains(page, "Prose that flows\nover two lines.") {
		t.Errorf("wamon.1.gz's description:\n%s", page)
	}

	for name, shell := range map[string]string{Bash: "bash", Zsh: "zsh", Fish: "fish"} {
		got, err := os.ReadFile(filepath.Join(dir, CompletionsDir, name))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		root := tree()
		root.SetOut(&out)
		root.SetArgs([]string{"completion", shell})
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, out.Bytes()) {
			t.Errorf("%s is not what wamon completion %s prints", name, shell)
		}
	}
}

// docs is hidden: help, completion and the shells' scripts do not offer it.
func TestDocsIsHidden(t *testing.T) {
	root := tree()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(io.Discard)
	root.SetArgs([]string{"__complete", ""})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "docs") || !strings.Contains(out.String(), "serve") {
		t.Errorf("completion offers %q", out.String())
	}
}
