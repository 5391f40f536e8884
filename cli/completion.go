package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// shells are the shells wamon completion writes a script for.
var shells = []string{"bash", "zsh", "fish", "powershell"}

const completionHelp = `wamon completion: a completion script for a shell, on stdout.

Usage: wamon completion SHELL     SHELL: bash, zsh, fish or powershell

  wamon completion bash > ~/.local/share/bash-completion/completions/wamon   (needs bash-completion)
  wamon completion zsh > "${fpath[1]}/_wamon"
  wamon completion fish > ~/.config/fish/completions/wamon.fish

The packages install them where each shell looks.
`

// newCompletion is wamon completion SHELL. A shell it knows no script for is a command
// line it cannot run: one line, exit 2 (cobra's own prints its help and exits 0).
func newCompletion(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:       "completion SHELL",
		Short:     "a completion script for bash, zsh, fish or powershell",
		Long:      completionHelp,
		ValidArgs: shells,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 || !slices.Contains(shells, args[0]) {
				got := "none"
				if len(args) > 0 {
					got = fmt.Sprintf("%q", strings.Join(args, " "))
				}
				return fmt.Errorf("completion: want one shell of %s, got %s", strings.Join(shells, ", "), got)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			default:
				return root.GenPowerShellCompletionWithDesc(out)
			}
		},
	}
}
