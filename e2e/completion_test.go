package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Bash, as a person uses it: the script wamon completion bash writes, sourced in an
// interactive bash in tmux, completes a command and a flag's value on tab.
func TestBashCompletionInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds wamon and runs bash in tmux")
	}
	const bashCompletion = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(bashCompletion); err != nil {
		// cobra's bash script stands on the bash-completion package, as every user's does.
		if os.Getenv("CI") != "" && !strings.Contains(os.Getenv("WAMON_CI_UNINSTALLABLE"), "bash-completion") {
			t.Fatalf("bash-completion is not installed, and .ci/run did not report failing to install it: %v", err)
		}
		t.Skipf("bash-completion is not installed (.ci/run installs it with apt where it can): %v", err)
	}
	bin := wamonBin
	dir := filepath.Dir(bin)
	script, err := exec.Command(bin, "completion", "bash").Output()
	if err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(dir, "bashrc")
	if err := os.WriteFile(rc, []byte("PS1='ready$ '\nsource "+bashCompletion+"\nsource "+filepath.Join(dir, "wamon.bash")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wamon.bash"), script, 0o600); err != nil {
		t.Fatal(err)
	}
	p := newPane(t, "100", "20", "env PATH="+dir+":/usr/bin:/bin HOME="+dir+" bash --noprofile --rcfile "+rc+" -i")
	p.waitFor("the prompt", "ready$")
	p.keys("wamon se", "Tab")
	p.waitFor("the command completed", "ready$ wamon serve")
	p.keys("--col", "Tab")
	p.waitFor("the flag completed", "ready$ wamon serve --color")
	p.keys("Tab", "Tab")
	p.waitFor("the colour modes offered", "truecolor", "256", "none")
}
