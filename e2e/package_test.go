package e2e

// The packages for the host that runs wamon serve. .goreleaser.yaml's nfpms entry is the
// one description of what they hold: goreleaser cannot include an nfpm.yaml, and two
// copies kept equal by a test would still be two. So these tests read that entry as it
// stands and build the .deb and .rpm from it with nfpm, the library goreleaser packages
// with, doing what goreleaser's nfpm step does around it (the binary under bindir, the
// generated files where the before hook writes them); then read both back, and install
// the .deb with dpkg.

import (
	"archive/tar"
	"bytes"
	"cmp"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/blakesmith/ar"
	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
	_ "github.com/goreleaser/nfpm/v2/rpm"
	"go.yaml.in/yaml/v3"
)

// generatedDir is where .goreleaser.yaml's before hook has the binary write its man
// pages and completions (wamon docs DIR); the archives and packages take them from there.
const generatedDir = "build/docs"

// packageVersion is the version the tests stamp into the binary and the packages.
const packageVersion = "0.99.0"

// manPages are the pages a package carries, one per command but the hidden docs and
// help: wamon.1.gz, wamon-serve.1.gz ...
var manPages = []string{"wamon", "wamon-completion", "wamon-replay", "wamon-serve"}

// releaseConfig is the part of .goreleaser.yaml the tests read.
type releaseConfig struct {
	ProjectName string `yaml:"project_name"`
	Before      struct {
		Hooks []string `yaml:"hooks"`
	} `yaml:"before"`
	Builds   []releaseBuild   `yaml:"builds"`
	Archives []releaseArchive `yaml:"archives"`
	NFPMs    []yaml.Node      `yaml:"nfpms"`
}

type releaseBuild struct {
	ID      string   `yaml:"id"`
	Main    string   `yaml:"main"`
	Binary  string   `yaml:"binary"`
	Goos    []string `yaml:"goos"`
	Goarch  []string `yaml:"goarch"`
	Ldflags []string `yaml:"ldflags"`
}

type releaseArchive struct {
	ID      string        `yaml:"id"`
	Formats []string      `yaml:"formats"`
	Files   []archiveFile `yaml:"files"`
}

// archiveFile is an archive's files entry: a path or glob, or src, dst and strip_parent.
type archiveFile struct {
	Src         string `yaml:"src"`
	Dst         string `yaml:"dst"`
	StripParent bool   `yaml:"strip_parent"`
}

func (f *archiveFile) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		f.Src = n.Value
		return nil
	}
	type plain archiveFile
	return n.Decode((*plain)(f))
}

// releaseNFPM is the nfpms entry, in goreleaser's names, with the keys the tests carry
// over into nfpm and no others: it is decoded strictly, so that a key added to the
// entry and not taught here fails the tests instead of being left out of the package
// they build. Contents and scripts are nfpm's own types, as in goreleaser.
type releaseNFPM struct {
	ID           string         `yaml:"id"`
	PackageName  string         `yaml:"package_name"`
	IDs          []string       `yaml:"ids"`
	Formats      []string       `yaml:"formats"`
	Vendor       string         `yaml:"vendor"`
	Homepage     string         `yaml:"homepage"`
	Maintainer   string         `yaml:"maintainer"`
	Description  string         `yaml:"description"`
	License      string         `yaml:"license"`
	Section      string         `yaml:"section"`
	Priority     string         `yaml:"priority"`
	Bindir       string         `yaml:"bindir"`
	Dependencies []string       `yaml:"dependencies"`
	Recommends   []string       `yaml:"recommends"`
	Suggests     []string       `yaml:"suggests"`
	Contents     files.Contents `yaml:"contents"`
	Scripts      nfpm.Scripts   `yaml:"scripts"`
}

// repoRoot is the repository's top directory (tests run in e2e/).
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// readRelease reads .goreleaser.yaml, its nfpms entry strictly.
func readRelease(t testing.TB) (releaseConfig, releaseNFPM) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg releaseConfig
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	if len(cfg.NFPMs) != 1 || len(cfg.Builds) != 1 {
		t.Fatalf(".goreleaser.yaml has %d nfpms entries and %d builds; the package tests read one of each", len(cfg.NFPMs), len(cfg.Builds))
	}
	entry, err := yaml.Marshal(&cfg.NFPMs[0])
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(entry, []byte("{{")) {
		t.Fatalf(".goreleaser.yaml's nfpms entry holds a template, which only goreleaser expands: the tests would build another package than a release")
	}
	dec := yaml.NewDecoder(bytes.NewReader(entry))
	dec.KnownFields(true)
	var p releaseNFPM
	if err := dec.Decode(&p); err != nil {
		t.Fatalf(".goreleaser.yaml's nfpms entry: %v (a key the package tests do not carry into nfpm: teach releaseNFPM and buildPackage it, or they build another package than a release)", err)
	}
	return cfg, p
}

// release is wamon as a release builds it, built once.
var release struct {
	once sync.Once
	bin  string
	err  error
}

var versionTemplate = regexp.MustCompile(`\{\{\s*\.Version\s*\}\}`)

// releaseBinary is wamon linked with the release build's ldflags (its version stamped
// in as a release stamps it). -trimpath and CGO_ENABLED=0 are left out: they change how
// the code compiles, not what a package holds, and without them this build reuses the
// packages TestMain compiled and only links.
func releaseBinary(t testing.TB, build releaseBuild) string {
	t.Helper()
	release.once.Do(func() {
		ldflags := versionTemplate.ReplaceAllString(strings.Join(build.Ldflags, " "), packageVersion)
		if strings.Contains(ldflags, "{{") {
			release.err = errors.New("the build's ldflags hold a template the tests do not fill: " + ldflags)
			return
		}
		dir, err := os.MkdirTemp(filepath.Dir(wamonBin), "release-")
		if err != nil {
			release.err = err
			return
		}
		bin := filepath.Join(dir, cmp.Or(build.Binary, "wamon"))
		cmd := exec.Command("go", "build", "-ldflags", ldflags, "-o", bin, cmp.Or(build.Main, "."))
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			release.err = errors.New("go build -ldflags " + ldflags + ": " + err.Error() + "\n" + string(out))
			return
		}
		release.bin = bin
	})
	if release.err != nil {
		t.Fatal(release.err)
	}
	return release.bin
}

// built is a package the tests made, and what went into it.
type built struct {
	path      string // the .deb or .rpm
	bin       string // the binary in it
	generated string // what wamon docs wrote
	entry     releaseNFPM
}

// packages are the packages built so far, by format: each is built once a run.
var packages struct {
	sync.Mutex
	built map[string]built
}

// buildPackage is the release's package of format (deb, rpm), built with nfpm from
// .goreleaser.yaml's nfpms entry.
func buildPackage(t testing.TB, format string) built {
	t.Helper()
	packages.Lock()
	defer packages.Unlock()
	if b, ok := packages.built[format]; ok {
		return b
	}
	dir, err := os.MkdirTemp(filepath.Dir(wamonBin), format+"-")
	if err != nil {
		t.Fatal(err)
	}
	b := makePackage(t, format, dir)
	if packages.built == nil {
		packages.built = map[string]built{}
	}
	packages.built[format] = b
	return b
}

// makePackage builds the package of format in dir.
func makePackage(t testing.TB, format, dir string) built {
	t.Helper()
	cfg, entry := readRelease(t)
	build := cfg.Builds[0]
	if !slices.Contains(entry.Formats, format) || !slices.Contains(entry.IDs, build.ID) {
		t.Fatalf(".goreleaser.yaml's nfpms entry makes %v of builds %v; want %s of %s", entry.Formats, entry.IDs, format, build.ID)
	}
	if !slices.Contains(build.Goos, "linux") || !slices.Contains(build.Goarch, runtime.GOARCH) {
		t.Skipf("releases build no linux/%s, the machine's", runtime.GOARCH)
	}
	bin := releaseBinary(t, build)

	// The before hook, as a release runs it: the binary writes the pages and completions.
	generated := filepath.Join(dir, filepath.FromSlash(generatedDir))
	if out, err := exec.Command(bin, "docs", generated).CombinedOutput(); err != nil {
		t.Fatalf("wamon docs: %v\n%s", err, out)
	}
	root := repoRoot(t)
	resolve := func(src string) string {
		if src == "" {
			return ""
		}
		if rest, ok := strings.CutPrefix(src, generatedDir+"/"); ok {
			return filepath.Join(generated, filepath.FromSlash(rest))
		}
		return filepath.Join(root, filepath.FromSlash(src))
	}
	var contents files.Contents
	for _, c := range entry.Contents {
		c.Source = resolve(c.Source)
		contents = append(contents, c)
	}
	// goreleaser puts the build's binary under bindir.
	contents = append(contents, &files.Content{
		Source:      bin,
		Destination: path.Join(entry.Bindir, cmp.Or(build.Binary, "wamon")),
		FileInfo:    &files.ContentFileInfo{Mode: 0o755},
	})
	s := entry.Scripts
	scripts := nfpm.Scripts{PreInstall: resolve(s.PreInstall), PostInstall: resolve(s.PostInstall),
		PreRemove: resolve(s.PreRemove), PostRemove: resolve(s.PostRemove)}

	info := nfpm.WithDefaults(&nfpm.Info{
		Name:        cmp.Or(entry.PackageName, cfg.ProjectName),
		Arch:        runtime.GOARCH,
		Platform:    "linux",
		Version:     packageVersion,
		Section:     entry.Section,
		Priority:    entry.Priority,
		Maintainer:  entry.Maintainer,
		Description: entry.Description,
		Vendor:      entry.Vendor,
		Homepage:    entry.Homepage,
		License:     entry.License,
		Overridables: nfpm.Overridables{
			Depends:    entry.Dependencies,
			Recommends: entry.Recommends,
			Suggests:   entry.Suggests,
			Contents:   contents,
			Scripts:    scripts,
		},
	})
	if err := nfpm.PrepareForPackager(info, format); err != nil {
		t.Fatalf("nfpm %s: %v", format, err)
	}
	packager, err := nfpm.Get(format)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, packager.ConventionalFileName(info))
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := packager.Package(info, f); err != nil {
		f.Close()
		t.Fatalf("nfpm %s: %v", format, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return built{path: out, bin: bin, generated: generated, entry: entry}
}

// entry is one path in a package, as read back from it.
type entry struct {
	dir          bool
	mode         fs.FileMode // permission bits
	owner, group string
	config       bool // a conffile (deb); %config(noreplace) (rpm)
	body         []byte
}

// readDeb reads a .deb back: its files, and its control members (control, conffiles,
// the maintainer scripts) by name.
func readDeb(t testing.TB, pkg string) (map[string]entry, map[string][]byte) {
	t.Helper()
	f, err := os.Open(pkg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	paths, control := map[string]entry{}, map[string][]byte{}
	r := ar.NewReader(f)
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", pkg, err)
		}
		name := strings.TrimSuffix(h.Name, "/")
		if name == "debian-binary" {
			continue
		}
		if !strings.HasSuffix(name, ".tar.gz") {
			t.Fatalf("%s: member %s: the test reads gzip members only", pkg, name)
		}
		gz, err := gzip.NewReader(r)
		if err != nil {
			t.Fatalf("%s: %s: %v", pkg, name, err)
		}
		tr := tar.NewReader(gz)
		for {
			th, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %s: %v", pkg, name, err)
			}
			body, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			p := path.Clean("/" + th.Name)
			if strings.HasPrefix(name, "control.") {
				control[strings.TrimPrefix(p, "/")] = body
				continue
			}
			e := entry{dir: th.Typeflag == tar.TypeDir, mode: fs.FileMode(th.Mode).Perm(), owner: th.Uname, group: th.Gname}
			if !e.dir {
				e.body = body
			}
			paths[p] = e
		}
	}
	for _, conffile := range strings.Fields(string(control["conffiles"])) {
		e := paths[conffile]
		e.config = true
		paths[conffile] = e
	}
	return paths, control
}

// readRPM reads an .rpm back (rpm_test.go).
func readRPM(t testing.TB, pkg string) *rpmPackage {
	t.Helper()
	raw, err := os.ReadFile(pkg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := readRPMFile(raw)
	if err != nil {
		t.Fatalf("%s: %v", pkg, err)
	}
	return p
}

// wantFile is a file a package must hold.
type wantFile struct {
	mode   fs.FileMode
	config bool
	body   []byte
}

// wantFiles is every file the package of format must hold, and what is in each: the
// binary, a man page per command, the completions as wamon completion writes them, the
// unit and the config example as the repository has them.
func wantFiles(t testing.TB, b built, format string) map[string]wantFile {
	t.Helper()
	read := func(p string) []byte {
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return body
	}
	completion := func(shell string) []byte {
		out, err := exec.Command(b.bin, "completion", shell).Output()
		if err != nil {
			t.Fatalf("wamon completion %s: %v", shell, err)
		}
		return out
	}
	root := repoRoot(t)
	unit, zsh := "/lib/systemd/system/wamon-serve.service", "/usr/share/zsh/vendor-completions/_wamon"
	if format == "rpm" {
		unit, zsh = "/usr/lib/systemd/system/wamon-serve.service", "/usr/share/zsh/site-functions/_wamon"
	}
	want := map[string]wantFile{
		"/usr/bin/wamon": {mode: 0o755, body: read(b.bin)},
		"/usr/share/bash-completion/completions/wamon":    {mode: 0o644, body: completion("bash")},
		"/usr/share/fish/vendor_completions.d/wamon.fish": {mode: 0o644, body: completion("fish")},
		"/etc/wamon/config.toml.example":                  {mode: 0o644, config: true, body: read(filepath.Join(root, "config.toml.example"))},
	}
	want[zsh] = wantFile{mode: 0o644, body: completion("zsh")}
	want[unit] = wantFile{mode: 0o644, body: read(filepath.Join(root, "examples", "wamon-serve.service"))}
	for _, page := range manPages {
		want["/usr/share/man/man1/"+page+".1.gz"] = wantFile{mode: 0o644, body: read(filepath.Join(b.generated, "man", page+".1.gz"))}
	}
	return want
}

// checkContents holds a package's files to want: the same paths, modes and bodies, and
// /etc/wamon a directory of wamon's alone.
func checkContents(t *testing.T, got map[string]entry, want map[string]wantFile) {
	t.Helper()
	for p, w := range want {
		g, ok := got[p]
		switch {
		case !ok || g.dir:
			t.Errorf("%s is not in the package", p)
		case g.mode != w.mode || g.config != w.config || g.owner != "root" || g.group != "root":
			t.Errorf("%s: mode %04o, config %v, owner %s:%s; want %04o, config %v, root:root", p, g.mode, g.config, g.owner, g.group, w.mode, w.config)
		case !bytes.Equal(g.body, w.body):
			t.Errorf("%s: %d bytes, not the %d expected", p, len(g.body), len(w.body))
		}
	}
	for p, g := range got {
		if _, ok := want[p]; !ok && !g.dir {
			t.Errorf("%s is in the package, and should not be", p)
		}
	}
	if d := got["/etc/wamon"]; !d.dir || d.mode != 0o700 || d.owner != "wamon" || d.group != "wamon" {
		t.Errorf("/etc/wamon: a directory %v, mode %04o, %s:%s; want a directory, 0700, wamon:wamon", d.dir, d.mode, d.owner, d.group)
	}
	// Each page is roff, titled after its command.
	page := got["/usr/share/man/man1/wamon-serve.1.gz"].body
	if gz, err := gzip.NewReader(bytes.NewReader(page)); err != nil {
		t.Errorf("wamon-serve.1.gz: %v", err)
	} else if roff, _ := io.ReadAll(gz); !bytes.Contains(roff, []byte(`.TH "WAMON-SERVE" "1"`)) || !bytes.Contains(roff, []byte("ssh-listen")) {
		t.Errorf("wamon-serve.1.gz is not wamon serve's page:\n%.400s", roff)
	}
}

// The .deb and the .rpm hold what .goreleaser.yaml's nfpms entry says, and what the
// issue asks: the binary, a page per command, the completions in the shells' system
// directories, the unit, the config directory with the example, and the scripts that
// make the wamon user and stop the service.
func TestPackagesHoldWhatTheReleaseSays(t *testing.T) {
	for _, format := range []string{"deb", "rpm"} {
		t.Run(format, func(t *testing.T) {
			b := buildPackage(t, format)
			want := wantFiles(t, b, format)
			root := repoRoot(t)
			scripts := map[string][]byte{}
			for name, p := range map[string]string{"preinstall": b.entry.Scripts.PreInstall, "postinstall": b.entry.Scripts.PostInstall,
				"preremove": b.entry.Scripts.PreRemove, "postremove": b.entry.Scripts.PostRemove} {
				body, err := os.ReadFile(filepath.Join(root, p))
				if err != nil {
					t.Fatalf("the %s script: %v", name, err)
				}
				scripts[name] = body
			}
			if format == "deb" {
				got, control := readDeb(t, b.path)
				checkContents(t, got, want)
				for name, member := range map[string]string{"preinstall": "preinst", "postinstall": "postinst", "preremove": "prerm", "postremove": "postrm"} {
					if !bytes.Equal(control[member], scripts[name]) {
						t.Errorf("the .deb's %s is not the %s script", member, name)
					}
				}
				fields := string(control["control"])
				for _, field := range []string{"Package: wamon\n", "Version: " + packageVersion + "\n", "Architecture: " + runtime.GOARCH + "\n", "Maintainer: "} {
					if !strings.Contains(fields, field) {
						t.Errorf("the .deb's control has no %q:\n%s", field, fields)
					}
				}
				return
			}
			rpm := readRPM(t, b.path)
			checkContents(t, rpm.files, want)
			for name, body := range scripts {
				if rpm.scripts[name] != string(body) {
					t.Errorf("the .rpm's %s script is %q, want %s", name, rpm.scripts[name], body)
				}
			}
			if arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]; rpm.name != "wamon" || rpm.version != packageVersion || rpm.arch != arch {
				t.Errorf("the .rpm is %s %s %s; want wamon %s %s", rpm.name, rpm.version, rpm.arch, packageVersion, arch)
			}
		})
	}
}

// What .goreleaser.yaml says beside the packages: the before hook writes the pages and
// completions with the binary, stamped as the build is, where the archives and packages
// take them; the archives carry them, the unit and the config example; every file it
// names is in the repository, and the scripts are shell scripts sh reads.
func TestReleaseConfig(t *testing.T) {
	cfg, entry := readRelease(t)
	root := repoRoot(t)
	hook := "go run -ldflags \"-X main.version={{ .Version }}\" . docs " + generatedDir
	if !slices.Contains(cfg.Before.Hooks, hook) {
		t.Errorf("before.hooks %q has no %q", cfg.Before.Hooks, hook)
	}
	if ld := strings.Join(cfg.Builds[0].Ldflags, " "); !strings.Contains(ld, "-X main.version={{.Version}}") {
		t.Errorf("the build's ldflags %q do not stamp main.version", ld)
	}
	exists := func(what, src string) {
		if strings.HasPrefix(src, generatedDir+"/") {
			return
		}
		if matches, _ := filepath.Glob(filepath.Join(root, src)); len(matches) == 0 {
			t.Errorf("%s %s is not in the repository", what, src)
		}
	}
	for _, a := range cfg.Archives {
		srcs := map[string]string{}
		for _, f := range a.Files {
			exists("archive file", f.Src)
			srcs[f.Src] = f.Dst
		}
		for src, dst := range map[string]string{
			generatedDir + "/man/*.1.gz": "man/man1", generatedDir + "/completions/*": "completions",
			"examples/wamon-serve.service": "", "config.toml.example": "", "README.md": "",
		} {
			if got, ok := srcs[src]; !ok || got != dst {
				t.Errorf("archive %s: files have no %s (to %q)", a.ID, src, dst)
			}
		}
	}
	for _, c := range entry.Contents {
		exists("package content", c.Source)
	}
	for _, s := range []string{entry.Scripts.PreInstall, entry.Scripts.PostInstall, entry.Scripts.PreRemove, entry.Scripts.PostRemove} {
		p := filepath.Join(root, s)
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm()&0o111 == 0 {
			t.Errorf("script %s: %v (want an executable file)", s, err)
			continue
		}
		if out, err := exec.Command("sh", "-n", p).CombinedOutput(); err != nil {
			t.Errorf("sh -n %s: %v\n%s", s, err, out)
		}
	}
}

// needRoot skips a test that must run as root where it is not, saying so; CI runs as
// root, and so cannot pass this way unseen: its log lists every skip with its reason.
func needRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Skipf("CI is not running as root here, and %s needs it", why)
		}
		t.Skipf("%s needs root", why)
	}
}

// refuse skips a test that cannot run on this machine, but fails it under CI, where the
// machine is expected to let it.
func refuse(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// The .deb installs with dpkg as an operator installs it, and then: wamon --version
// says the package's version, man finds a page per command, the completions are where
// bash, zsh and fish look (bash-completion loads wamon's), the unit verifies and runs
// the packaged binary as the wamon user, which exists, a system user without a shell;
// /etc/wamon is wamon's alone with the example in it, a conffile. Installed again (an
// upgrade to the same version), the scripts run again without harm; purged, it leaves
// none of its files. The test removes the user if it made it, and leaves no package.
func TestDebInstallsWithDpkg(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: installs a package on this machine")
	}
	needRoot(t, "installing a package with dpkg -i")
	needTools(t, "dpkg", "dpkg", "dpkg-query")
	needTools(t, "man-db", "man")
	const pkgName = "wamon"
	status := func() string {
		out, _ := exec.Command("dpkg-query", "-W", "-f=${db:Status-Abbrev}${Version}", pkgName).Output()
		return strings.TrimSpace(string(out))
	}
	if s := status(); s != "" {
		refuse(t, "a wamon package is on this machine (%s); the test would replace it and purge it", s)
	}
	if _, err := os.Lstat("/usr/bin/wamon"); err == nil {
		refuse(t, "/usr/bin/wamon is on this machine; the package would overwrite it")
	}
	userExisted := exec.Command("getent", "passwd", "wamon").Run() == nil
	groupExisted := exec.Command("getent", "group", "wamon").Run() == nil

	b := buildPackage(t, "deb")
	dpkg := func(args ...string) {
		t.Helper()
		out, err := exec.Command("dpkg", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("dpkg %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	t.Cleanup(func() {
		if status() != "" {
			if out, err := exec.Command("dpkg", "-P", pkgName).CombinedOutput(); err != nil {
				t.Errorf("dpkg -P wamon: %v\n%s", err, out)
			}
		}
		if !userExisted {
			exec.Command("userdel", "wamon").Run()
		}
		if !groupExisted {
			exec.Command("groupdel", "wamon").Run() // userdel may have removed it
		}
		if !userExisted && exec.Command("getent", "passwd", "wamon").Run() == nil {
			t.Error("the wamon user the package made is still there")
		}
	})

	dpkg("-i", b.path)
	if s := status(); s != "ii "+packageVersion {
		t.Fatalf("after dpkg -i, wamon is %q; want installed, %s", s, packageVersion)
	}
	if out, err := exec.Command("/usr/bin/wamon", "--version").Output(); err != nil || string(out) != "wamon "+packageVersion+"\n" {
		t.Errorf("wamon --version: %q, %v; want wamon %s", out, err, packageVersion)
	}

	// man finds every page, and formats one.
	for _, page := range manPages {
		out, err := exec.Command("man", "-w", page).CombinedOutput()
		if want := "/usr/share/man/man1/" + page + ".1.gz\n"; err != nil || string(out) != want {
			excludes, _ := exec.Command("sh", "-c", "grep -rh path-exclude /etc/dpkg/dpkg.cfg.d/ 2>/dev/null").Output()
			t.Errorf("man -w %s: %q, %v; want %q (dpkg's path-excludes: %q)", page, out, err, want, excludes)
		}
	}
	man := exec.Command("man", "wamon-serve")
	man.Env = append(os.Environ(), "MANWIDTH=100", "MANPAGER=cat", "PAGER=cat")
	if out, err := man.Output(); err != nil || !strings.Contains(string(out), "--ssh-listen") {
		t.Errorf("man wamon-serve: %v\n%s", err, out)
	}

	// The completions are where the shells look, as wamon completion writes them.
	want := wantFiles(t, b, "deb")
	for _, p := range []string{"/usr/share/bash-completion/completions/wamon", "/usr/share/zsh/vendor-completions/_wamon",
		"/usr/share/fish/vendor_completions.d/wamon.fish", "/etc/wamon/config.toml.example", "/lib/systemd/system/wamon-serve.service"} {
		if body, err := os.ReadFile(p); err != nil || !bytes.Equal(body, want[p].body) {
			t.Errorf("%s: %v, or not what the package holds", p, err)
		}
	}
	const bashCompletion = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(bashCompletion); err == nil {
		// bash-completion loads a command's script from its directory when first asked.
		out, err := exec.Command("bash", "-c", "source "+bashCompletion+" && __load_completion wamon && complete -p wamon").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "__start_wamon wamon") {
			t.Errorf("bash-completion does not load wamon's completion: %v\n%s", err, out)
		}
	}

	// The wamon user: a system user, its home the state directory, no shell.
	out, err := exec.Command("getent", "passwd", "wamon").Output()
	fields := strings.Split(strings.TrimSpace(string(out)), ":")
	if err != nil || len(fields) != 7 {
		t.Fatalf("getent passwd wamon: %q, %v", out, err)
	}
	uid, _ := strconv.Atoi(fields[2])
	if uid == 0 || uid >= 1000 || fields[5] != "/var/lib/wamon" || !strings.HasSuffix(fields[6], "/nologin") {
		t.Errorf("the wamon user is %q; want a system user (uid under 1000), home /var/lib/wamon, shell nologin", out)
	}
	var st syscall.Stat_t
	if err := syscall.Stat("/etc/wamon", &st); err != nil || st.Uid != uint32(uid) || st.Mode&0o7777 != 0o700 {
		t.Errorf("/etc/wamon: %v, owner %d, mode %04o; want wamon's (%d), 0700", err, st.Uid, st.Mode&0o7777, uid)
	}
	if out, _ := exec.Command("dpkg-query", "-W", "-f=${Conffiles}", pkgName).Output(); !strings.Contains(string(out), "/etc/wamon/config.toml.example ") {
		t.Errorf("the conffiles are %q; want /etc/wamon/config.toml.example", out)
	}

	// The unit verifies, and its ExecStart's wamon is the package's.
	checkUnit(t, "/lib/systemd/system/wamon-serve.service")

	// Installed again: the scripts run a second time, and the user stays the same.
	dpkg("-i", b.path)
	if again, _ := exec.Command("getent", "passwd", "wamon").Output(); !bytes.Equal(again, out) {
		t.Errorf("installed again, the wamon user is %q; it was %q", again, out)
	}

	dpkg("-P", pkgName)
	if s := status(); s != "" {
		t.Errorf("after dpkg -P, wamon is %q", s)
	}
	for p := range want {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s is still there after dpkg -P", p)
		}
	}
	if _, err := os.Lstat("/etc/wamon"); err == nil {
		t.Error("/etc/wamon, empty, is still there after dpkg -P")
	}
}

// checkUnit verifies an installed unit: with systemd-analyze verify where it is, else
// by reading it; either way its ExecStart runs /usr/bin/wamon serve as wamon, with its
// state in /var/lib/wamon.
func checkUnit(t *testing.T, unit string) {
	t.Helper()
	if analyze, err := exec.LookPath("systemd-analyze"); err == nil {
		if out, err := exec.Command(analyze, "verify", unit).CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", unit, err, out)
		}
	} else {
		t.Logf("no systemd-analyze here (%v): the unit is read, not verified", err)
	}
	text, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	joined := strings.ReplaceAll(string(text), "\\\n", " ")
	for _, line := range strings.Split(joined, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(k, "#") {
			settings[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	argv := strings.Fields(settings["ExecStart"])
	if len(argv) < 2 || argv[1] != "serve" || settings["User"] != "wamon" || settings["StateDirectory"] != "wamon" {
		t.Errorf("the unit runs %q as %q with state %q; want wamon serve as wamon in wamon", settings["ExecStart"], settings["User"], settings["StateDirectory"])
		return
	}
	// A command without a path is looked up by systemd in /usr/local/bin, /usr/bin ...:
	// with the package alone it is the package's.
	bin := argv[0]
	if !path.IsAbs(bin) {
		for _, dir := range []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin"} {
			if _, err := os.Stat(path.Join(dir, bin)); err == nil {
				bin = path.Join(dir, bin)
				break
			}
		}
	}
	if bin != "/usr/bin/wamon" {
		t.Errorf("the unit's ExecStart runs %s; want the package's /usr/bin/wamon", bin)
	}
}
