package ui

import (
	"charm.land/lipgloss/v2"
	"charm.land/lipgloss/v2/table"
)

// tableSpec is one table of the console: the rows in view are handed to lipgloss/table,
// which measures ANSI-styled cells correctly. (bubbles/table v1 truncates cells with a
// width function that counts escape sequences, so it cannot colour single cells, and the
// failure share must be coloured by its threshold.) The cursor and scrolling are ours.
type tableSpec struct {
	headers []string
	rows    [][]string
	cursor  int // the selected row, -1 for none
	height  int // lines for the rows (the header takes two more)
	width   int
	right   map[int]bool                                           // right-aligned columns (numbers)
	style   func(row, col int, base lipgloss.Style) lipgloss.Style // per cell, optional
}

// visibleRange is the slice of rows shown so that the cursor stays in view.
func visibleRange(n, cursor, height int) (from, to int) {
	if height <= 0 || n == 0 {
		return 0, 0
	}
	from = max(0, min(cursor-height/2, n-height))
	return from, min(n, from+height)
}

// renderTable draws the table, and says where its rows are in the drawing: after the
// header and its rule.
func renderTable(th *Theme, s tableSpec) (string, rowArea) {
	from, to := visibleRange(len(s.rows), max(s.cursor, 0), s.height)
	rows := s.rows[from:to]
	headers := s.headers
	if s.cursor >= 0 {
		// The cursor is a glyph as well as a colour: it must show without colour too.
		mark := "▸"
		if th.ASCII {
			mark = ">"
		}
		headers = append([]string{""}, headers...)
		marked := make([][]string, len(rows))
		for i, r := range rows {
			m := " "
			if from+i == s.cursor {
				m = mark
			}
			marked[i] = append([]string{m}, r...)
		}
		rows = marked
	}
	shift := 0
	if s.cursor >= 0 {
		shift = 1
	}
	// The styles every cell takes one of, made once: the table asks for a cell's style
	// more than once a frame, and a frame of the overview has hundreds of cells.
	var (
		cell       = [2]lipgloss.Style{th.Style().Padding(0, 1), th.Style().Padding(0, 1).Align(lipgloss.Right)}
		header     = [2]lipgloss.Style{cell[0].Inherit(th.Header), cell[1].Inherit(th.Header)}
		markCursor = th.Style().Inherit(th.Key)
		markNone   = th.Style()
	)
	styleFn := func(row, col int) lipgloss.Style {
		if shift == 1 && col == 0 {
			if row != table.HeaderRow && from+row == s.cursor {
				return markCursor
			}
			return markNone
		}
		col -= shift
		align := 0
		if s.right[col] {
			align = 1
		}
		if row == table.HeaderRow {
			return header[align]
		}
		st := cell[align]
		abs := from + row
		if s.style != nil {
			st = s.style(abs, col, st)
		}
		if abs == s.cursor {
			st = st.Inherit(th.Selected).Reverse(true)
		}
		return st
	}
	out := newTable(th, headers, rows).StyleFunc(styleFn).Render()
	if s.width > 0 && lipgloss.Width(out) > s.width {
		// Too wide at natural widths: let lipgloss shrink and cut the columns.
		out = newTable(th, headers, rows).StyleFunc(styleFn).Width(s.width).Render()
	}
	area := rowArea{top: 2, first: from, count: to - from}
	if s.cursor < 0 {
		area.count = 0 // a note, or rows nobody picks
	}
	return out, area
}

func newTable(th *Theme, headers []string, rows [][]string) *table.Table {
	return table.New().
		Headers(headers...).
		Rows(rows...).
		Border(th.Border).
		BorderTop(false).BorderBottom(false).BorderLeft(false).BorderRight(false).
		BorderColumn(false).BorderHeader(true).
		BorderStyle(th.Dim).
		Wrap(false)
}
