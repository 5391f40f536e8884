package config

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// configPath is --config, else $XDG_CONFIG_HOME/wamon/config.toml (XDG's default being
// ~/.config). explicit says the user named the file, so it must exist.
func configPath(flagPath string, getenv func(string) string) (path string, explicit bool) {
	if flagPath != "" {
		return expandHome(flagPath, getenv), true
	}
	dir := getenv("XDG_CONFIG_HOME")
	// The XDG spec says a relative value is invalid and must be ignored.
	if dir == "" || !filepath.IsAbs(dir) {
		home := getenv("HOME")
		if home == "" {
			return "", false
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "wamon", "config.toml"), false
}

// xdgPath is $DIR/wamon/name for an XDG base directory variable, or ~/fallback/wamon/name
// where it is unset (or, as the spec says to ignore it, relative).
func xdgPath(getenv func(string) string, variable, fallback, name string) string {
	dir := getenv(variable)
	if dir == "" || !filepath.IsAbs(dir) {
		dir = filepath.Join(getenv("HOME"), fallback)
	}
	return filepath.Join(dir, "wamon", name)
}

// expandHome reads a leading ~ as the home directory, as a shell would: "~" and "~/x".
// A path in the config file (or a flag written --record-dir=~/x, which no shell
// expands) meant the home directory, not a directory named "~" in the working one. Other
// users' homes (~bob) are left as they are.
func expandHome(path string, getenv func(string) string) string {
	home := getenv("HOME")
	if home == "" {
		return path
	}
	if path == "~" {
		return home
	}
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		return filepath.Join(home, rest)
	}
	return path
}

// permissionWarning flags a secret (what names it) that other local users can read.
func permissionWarning(path string, secret Secret, what string) string {
	if secret == "" {
		return ""
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("%s holds %s and is readable by group or others (mode %04o); run: chmod 600 %s",
		path, what, fi.Mode().Perm(), path)
}

// urlPassword is the password in a URL, as a secret, or "".
func urlPassword(s string) Secret {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return ""
	}
	pw, _ := u.User.Password()
	return Secret(pw)
}
