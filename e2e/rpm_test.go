package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// A reader of .rpm files, for the package tests: what they need (the name, version and
// scripts, each file's mode, owner, flags and body), read by this code and not by the
// packager's, without rpm's tools or a cgo zstd (go-rpmutils compiles one, a minute and
// a half on this machine, twice with -race). The layout is rpm's file format: a 96-byte
// lead, the signature header padded to 8 bytes, the header, then the payload, a
// compressed newc cpio archive.

// RPM header tags and flags.
const (
	rpmTagName          = 1000
	rpmTagVersion       = 1001
	rpmTagArch          = 1022
	rpmTagPreIn         = 1023
	rpmTagPostIn        = 1024
	rpmTagPreUn         = 1025
	rpmTagPostUn        = 1026
	rpmTagFileModes     = 1030
	rpmTagFileFlags     = 1037
	rpmTagFileUserName  = 1039
	rpmTagFileGroupName = 1040
	rpmTagDirIndexes    = 1116
	rpmTagBaseNames     = 1117
	rpmTagDirNames      = 1118
	rpmTagCompressor    = 1125

	rpmFileConfig    = 1 << 0
	rpmFileNoReplace = 1 << 4
)

// rpmPackage is what readRPMFile reads of an .rpm.
type rpmPackage struct {
	name, version, arch string
	scripts             map[string]string // preinstall, postinstall ... as nfpm names them
	files               map[string]entry
}

// rpmHeader is one header section's entries by tag, each as its type and count say.
type rpmHeader map[int]any

func readRPMFile(raw []byte) (*rpmPackage, error) {
	if len(raw) < 96 || !bytes.Equal(raw[:4], []byte{0xed, 0xab, 0xee, 0xdb}) {
		return nil, fmt.Errorf("not an rpm: no lead")
	}
	rest := raw[96:]
	_, n, err := readRPMHeader(rest)
	if err != nil {
		return nil, fmt.Errorf("signature header: %w", err)
	}
	rest = rest[(n+7)/8*8:]
	h, n, err := readRPMHeader(rest)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	payload := rest[n:]

	str := func(tag int) string { s, _ := h[tag].(string); return s }
	strs := func(tag int) []string { s, _ := h[tag].([]string); return s }
	ints := func(tag int) []int64 { s, _ := h[tag].([]int64); return s }
	p := &rpmPackage{name: str(rpmTagName), version: str(rpmTagVersion), arch: str(rpmTagArch),
		scripts: map[string]string{}, files: map[string]entry{}}
	for name, tag := range map[string]int{"preinstall": rpmTagPreIn, "postinstall": rpmTagPostIn, "preremove": rpmTagPreUn, "postremove": rpmTagPostUn} {
		if s, ok := h[tag].(string); ok {
			p.scripts[name] = s
		}
	}
	base, dirs, dirIndex := strs(rpmTagBaseNames), strs(rpmTagDirNames), ints(rpmTagDirIndexes)
	modes, flags := ints(rpmTagFileModes), ints(rpmTagFileFlags)
	users, groups := strs(rpmTagFileUserName), strs(rpmTagFileGroupName)
	for i, b := range base {
		if i >= len(dirIndex) || int(dirIndex[i]) >= len(dirs) || i >= len(modes) || i >= len(flags) || i >= len(users) || i >= len(groups) {
			return nil, fmt.Errorf("file %d (%s): its arrays are short", i, b)
		}
		mode := uint16(modes[i])
		p.files[path.Clean(dirs[dirIndex[i]]+b)] = entry{
			dir:    mode&0o170000 == 0o040000,
			mode:   fs.FileMode(mode).Perm(),
			owner:  users[i],
			group:  groups[i],
			config: flags[i]&(rpmFileConfig|rpmFileNoReplace) == rpmFileConfig|rpmFileNoReplace,
		}
	}

	if c := str(rpmTagCompressor); c != "gzip" {
		return nil, fmt.Errorf("payload compressed with %q: this reader reads gzip (nfpm's default)", c)
	}
	gz, err := gzip.NewReader(bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	cpio, err := io.ReadAll(gz)
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	for {
		// newc: "070701", 13 fields of 8 hex digits, the name and a NUL, padding to 4;
		// the body, padding to 4.
		if len(cpio) < 110 || string(cpio[:6]) != "070701" {
			return nil, fmt.Errorf("payload: not a newc cpio entry")
		}
		field := func(i int) (int, error) {
			v, err := strconv.ParseUint(string(cpio[6+8*i:14+8*i]), 16, 32)
			return int(v), err
		}
		size, err1 := field(6)
		nameSize, err2 := field(11)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("payload: a bad cpio header")
		}
		bodyAt := (110 + nameSize + 3) / 4 * 4
		if bodyAt+size > len(cpio) || nameSize < 1 {
			return nil, fmt.Errorf("payload: a cpio entry past the end")
		}
		name := string(cpio[110 : 110+nameSize-1])
		if name == "TRAILER!!!" {
			break
		}
		name = path.Clean("/" + strings.TrimPrefix(name, "./"))
		e, ok := p.files[name]
		if !ok {
			return nil, fmt.Errorf("payload: %s is not in the header's file list", name)
		}
		if !e.dir {
			e.body = cpio[bodyAt : bodyAt+size]
			p.files[name] = e
		}
		cpio = cpio[(bodyAt+size+3)/4*4:]
	}
	return p, nil
}

// readRPMHeader reads one header section: magic, 4 reserved bytes, the entry count and
// the store's size, 16 bytes of index per entry, then the store. It returns the
// section's length.
func readRPMHeader(b []byte) (rpmHeader, int, error) {
	if len(b) < 16 || !bytes.Equal(b[:4], []byte{0x8e, 0xad, 0xe8, 0x01}) {
		return nil, 0, fmt.Errorf("no header magic")
	}
	count, size := int(binary.BigEndian.Uint32(b[8:])), int(binary.BigEndian.Uint32(b[12:]))
	storeAt := 16 + 16*count
	if count > 1<<16 || storeAt+size > len(b) {
		return nil, 0, fmt.Errorf("a header of %d entries and %d bytes past the end", count, size)
	}
	store := b[storeAt : storeAt+size]
	h := rpmHeader{}
	for i := range count {
		ix := b[16+16*i:]
		tag, typ := int(binary.BigEndian.Uint32(ix)), binary.BigEndian.Uint32(ix[4:])
		off, n := int(binary.BigEndian.Uint32(ix[8:])), int(binary.BigEndian.Uint32(ix[12:]))
		if off > len(store) {
			return nil, 0, fmt.Errorf("tag %d past the store", tag)
		}
		data := store[off:]
		switch typ {
		case 3, 4: // int16, int32 arrays
			width := 2 * int(typ-2)
			if n*width > len(data) {
				return nil, 0, fmt.Errorf("tag %d past the store", tag)
			}
			v := make([]int64, n)
			for j := range v {
				if width == 2 {
					v[j] = int64(binary.BigEndian.Uint16(data[2*j:]))
				} else {
					v[j] = int64(binary.BigEndian.Uint32(data[4*j:]))
				}
			}
			h[tag] = v
		case 6, 8, 9: // string, string array, i18n string
			var v []string
			for range n {
				end := bytes.IndexByte(data, 0)
				if end < 0 {
					return nil, 0, fmt.Errorf("tag %d: an unterminated string", tag)
				}
				v = append(v, string(data[:end]))
				data = data[end+1:]
			}
			if typ == 6 && len(v) == 1 {
				h[tag] = v[0]
			} else {
				h[tag] = v
			}
		}
	}
	return h, storeAt + size, nil
}
