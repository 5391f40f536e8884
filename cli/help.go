package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// newHelp is wamon help [COMMAND]: a command's help, as COMMAND --help gives it. A topic
// that is no command is a command line wamon cannot run: one line, exit 2 (cobra's own
// prints the root's help and exits 0).
func newHelp(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "the help of a command",
		Long:  "wamon help: the help of a command, as COMMAND --help gives it.\n\nUsage: wamon help [COMMAND]\n",
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			var names []string
			for _, c := range root.Commands() {
				if c.IsAvailableCommand() {
					names = append(names, c.Name())
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 || target == nil {
				topic := strings.Join(args, " ")
				if s := root.SuggestionsFor(topic); len(s) > 0 {
					return fmt.Errorf("no help for %q: no such command (did you mean %s?)", topic, strings.Join(s, ", "))
				}
				return fmt.Errorf("no help for %q: no such command (see wamon --help)", topic)
			}
			target.SetOut(cmd.OutOrStdout())
			printHelp(target, nil)
			return nil
		},
	}
}
