// Package docs writes what a package installs beside the binary, from the command tree
// itself: a man page per command and the completion scripts of bash, zsh and fish. The
// hidden command wamon docs DIR runs it, so that releases (goreleaser's before hooks)
// and the package tests ship what the real binary says.
package docs

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// The files Write makes under its directory, as the packages name them.
const (
	ManDir         = "man"         // wamon.1.gz, wamon-serve.1.gz ...: one page per command
	CompletionsDir = "completions" // the scripts below
	Bash           = "wamon.bash"  // /usr/share/bash-completion/completions/wamon
	Zsh            = "_wamon"      // /usr/share/zsh/vendor-completions/_wamon
	Fish           = "wamon.fish"  // /usr/share/fish/vendor_completions.d/wamon.fish
)

const usage = `wamon docs: write the man pages and the shell completions.

Usage: wamon docs DIR

Writes DIR/man/wamon.1.gz and a page for every other command (wamon-serve.1.gz ...),
and DIR/completions/wamon.bash, _wamon (zsh) and wamon.fish, as wamon completion
SHELL writes them. Releases and the package tests run it; people need not.
`

// Command is wamon docs DIR, hidden: it documents the tree it belongs to, with version
// in each man page's footer.
func Command(version string) *cobra.Command {
	return &cobra.Command{
		Use:    "docs DIR",
		Short:  "write the man pages and shell completions into DIR",
		Long:   usage,
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return Write(cmd.Root(), version, args[0])
		},
	}
}

// Write writes the man pages and completion scripts of root's tree under dir.
func Write(root *cobra.Command, version, dir string) error {
	// The completion command is added when the tree is first executed; a page of its own
	// and its shells' pages are wanted whether or not it was.
	root.InitDefaultCompletionCmd()
	if err := writeMan(root, version, filepath.Join(dir, ManDir)); err != nil {
		return err
	}
	return writeCompletions(root, filepath.Join(dir, CompletionsDir))
}

// writeMan writes one gzipped page per command that help lists (hidden ones and help
// itself are left out), titled by command, in section 1.
func writeMan(root *cobra.Command, version, dir string) error {
	tmp, err := os.MkdirTemp("", "wamon-man-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	manText(root)
	// The date is the month of SOURCE_DATE_EPOCH when it is set (reproducible
	// builds), else of today: cobra's doc package reads it.
	header := &doc.GenManHeader{Section: "1", Source: "wamon " + version, Manual: "wamon manual"}
	if err := doc.GenManTree(root, header, tmp); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// A page of a command that is no more must not ship from an earlier run.
	stale, _ := filepath.Glob(filepath.Join(dir, "wamon*.1.gz"))
	for _, page := range stale {
		if err := os.Remove(page); err != nil {
			return err
		}
	}
	pages, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	for _, page := range pages {
		text, err := os.ReadFile(filepath.Join(tmp, page.Name()))
		if err != nil {
			return err
		}
		// gzip -9n, as Debian's policy asks of man pages: no name, no time in the header.
		var gz bytes.Buffer
		w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		w.Write(text)
		if err := w.Close(); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, page.Name()+".gz"), gz.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// manText makes each command's help text read in a man page as it reads on a terminal:
// the page is Markdown turned to roff, which would run the lines of a Usage block
// together into one paragraph. Its lines (Usage: and the indented ones after it) end in
// a hard break; prose still flows. Only wamon's own texts are touched; cobra's default
// completion command (with a subcommand per shell) writes its in Markdown already.
func manText(root *cobra.Command) {
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() != "completion" || !c.HasSubCommands() {
			c.Long = breakUsage(c.Long)
			for _, sub := range c.Commands() {
				walk(sub)
			}
		}
	}
	walk(root)
}

func breakUsage(text string) string {
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		usageLine := strings.HasPrefix(line, "Usage:") ||
			strings.HasPrefix(line, " ") && i > 0 && strings.HasSuffix(lines[i-1], "  ")
		if usageLine && i+1 < len(lines) && lines[i+1] != "" {
			lines[i] = line + "  "
		}
	}
	return strings.Join(lines, "\n")
}

// writeCompletions writes the scripts wamon completion bash, zsh and fish print, with
// descriptions, under the names their shells look for.
func writeCompletions(root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, gen := range map[string]func(*bytes.Buffer) error{
		Bash: func(b *bytes.Buffer) error { return root.GenBashCompletionV2(b, true) },
		Zsh:  func(b *bytes.Buffer) error { return root.GenZshCompletion(b) },
		Fish: func(b *bytes.Buffer) error { return root.GenFishCompletion(b, true) },
	} {
		var b bytes.Buffer
		if err := gen(&b); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}
