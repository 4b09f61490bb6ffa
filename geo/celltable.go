package geo

import "math/bits"

// cellTable maps an H3 cell to the span of postings (fence ids) listed under
// it. It is a read-only open-addressing hash table with key and value in one
// 16-byte slot, so a lookup usually costs a single cache miss; a Go map
// costs two (control word, then slot), which was a third of the lookup time.
type cellTable struct {
	slots []cellSlot
	shift uint // 64 − log2(len(slots))
}

type cellSlot struct {
	cell   uint64 // 0 marks an empty slot; no H3 index is 0
	off, n uint32
}

// newCellTable sizes a table for n cells at a load factor of at most ½.
func newCellTable(n int) cellTable {
	b := max(4, bits.Len(uint(2*n)))
	return cellTable{slots: make([]cellSlot, 1<<b), shift: uint(64 - b)}
}

func (t *cellTable) home(cell uint64) uint64 {
	return (cell * 0x9E3779B97F4A7C15) >> t.shift // Fibonacci hashing
}

// put stores a cell's postings span; each cell is put once.
func (t *cellTable) put(cell uint64, off, n uint32) {
	mask := uint64(len(t.slots) - 1)
	for i := t.home(cell); ; i = (i + 1) & mask {
		if t.slots[i].cell == 0 {
			t.slots[i] = cellSlot{cell, off, n}
			return
		}
	}
}

// get returns the postings span of a cell, n = 0 if it has none.
func (t *cellTable) get(cell uint64) (off, n uint32) {
	mask := uint64(len(t.slots) - 1)
	for i := t.home(cell); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.cell == cell {
			return s.off, s.n
		}
		if s.cell == 0 {
			return 0, 0
		}
	}
}

// len is the number of cells stored.
func (t *cellTable) len() int {
	n := 0
	for _, s := range t.slots {
		if s.cell != 0 {
			n++
		}
	}
	return n
}
