package ui

import "charm.land/bubbles/v2/key"

// KeyMap is every binding of the console. Each screen lists its own in the footer; `?`
// shows them all.
type KeyMap struct {
	NextNumber, PrevNumber, Jump key.Binding
	Overview, Info, Raw          key.Binding
	Events, Requests, Nodes      key.Binding
	Severity, Copy               key.Binding
	Move, Up, Down, PageUp       key.Binding
	PageDown                     key.Binding
	Top, Bottom                  key.Binding
	Enter, Back                  key.Binding
	Pause, Refresh               key.Binding
	Filter, Sort                 key.Binding
	ZoomIn, ZoomOut              key.Binding
	Save, Help, Quit             key.Binding

	// A replay's (wamon replay).
	ReplayPause, SeekBack, SeekForward, SeekBack10, SeekForward10, Slower, Faster key.Binding

	// noSave leaves Save out of the help: a served console saves nothing (the key still
	// answers, to say so).
	noSave bool
}

func newKeyMap() KeyMap {
	return KeyMap{
		NextNumber: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next number")),
		PrevNumber: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous number")),
		Jump:       key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9"), key.WithHelp("1-9", "go to number")),
		Overview:   key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "fleet overview")),
		Info:       key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "number detail")),
		Raw:        key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "raw payload")),
		Events:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "events")),
		Requests:   key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "API requests")),
		Nodes:      key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "nodes: sum/split/one")),
		Severity:   key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "all/warnings/critical")),
		Copy:       key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy summary")),
		Move:       key.NewBinding(key.WithKeys("k", "up", "j", "down"), key.WithHelp("↑↓/jk", "move")),
		Up:         key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "up")),
		Down:       key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "down")),
		PageUp:     key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown:   key.NewBinding(key.WithKeys("pgdown", "ctrl+d", "space"), key.WithHelp("pgdn", "page down")),
		Top:        key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:     key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		Enter:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Back:       key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back")),
		Pause:      key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pause")),
		Refresh:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "poll now")),
		Filter:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Sort:       key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		ZoomIn:     key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "shorter window")),
		ZoomOut:    key.NewBinding(key.WithKeys("-", "_"), key.WithHelp("-", "longer window")),
		Save:       key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "save screen")),
		Help:       key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "all keys")),
		Quit:       key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),

		ReplayPause:   key.NewBinding(key.WithKeys("space", "p"), key.WithHelp("space", "pause replay")),
		SeekBack:      key.NewBinding(key.WithKeys("["), key.WithHelp("[", "back 1m")),
		SeekForward:   key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "on 1m")),
		SeekBack10:    key.NewBinding(key.WithKeys("{"), key.WithHelp("{", "back 10m")),
		SeekForward10: key.NewBinding(key.WithKeys("}"), key.WithHelp("}", "on 10m")),
		Slower:        key.NewBinding(key.WithKeys("<"), key.WithHelp("<", "slower")),
		Faster:        key.NewBinding(key.WithKeys(">"), key.WithHelp(">", "faster")),
	}
}

// fullHelp groups every binding for the `?` screen.
func (k KeyMap) fullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.NextNumber, k.PrevNumber, k.Jump, k.Overview, k.Info, k.Raw, k.Events, k.Requests},
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Enter, k.Back},
		{k.Pause, k.Refresh, k.Filter, k.Sort, k.Severity, k.Nodes, k.ZoomIn, k.ZoomOut},
		k.lastGroup(),
	}
}

func (k KeyMap) lastGroup() []key.Binding {
	if k.noSave {
		return []key.Binding{k.Copy, k.Help, k.Quit}
	}
	return []key.Binding{k.Copy, k.Save, k.Help, k.Quit}
}

// replayHelp is fullHelp for a replay: its own keys in place of pause and poll now.
func (k KeyMap) replayHelp() [][]key.Binding {
	groups := k.fullHelp()
	groups[2] = []key.Binding{k.ReplayPause, k.SeekBack, k.SeekForward, k.SeekBack10, k.SeekForward10,
		k.Slower, k.Faster, k.Filter, k.Sort, k.Severity, k.Nodes, k.ZoomIn, k.ZoomOut}
	return groups
}
