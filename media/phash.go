package media

import (
	"fmt"
	"image"
	"math/bits"

	"github.com/corona10/goimagehash"
	"github.com/disintegration/imaging"
)

// PHashSameImage is the largest Hamming distance at which two perceptual
// hashes are treated as the same photo (resized, recompressed, lightly
// cropped or recoloured). Unrelated photos typically differ by 20–35 bits.
const PHashSameImage = 8

// pHashSide is the square goimagehash reduces every image to before its DCT.
// Reducing to it ourselves first makes the four rotations cheap and exact:
// squashing commutes with 90° rotations, so rotating the 64×64 square gives
// the same hash as hashing the rotated full image.
const pHashSide = 64

// perceptualHashes returns the pHash of the upright image img and of its
// rotations by 0, 90, 180 and 270 degrees clockwise. rot[0] is the image's own
// hash.
func perceptualHashes(img image.Image) (rot [4]uint64, err error) {
	small := imaging.Resize(img, pHashSide, pHashSide, imaging.Lanczos)
	views := [4]*image.NRGBA{small, imaging.Rotate270(small), imaging.Rotate180(small), imaging.Rotate90(small)}
	for i, v := range views {
		h, err := goimagehash.PerceptionHash(v)
		if err != nil {
			return rot, fmt.Errorf("media: perceptual hash: %w", err)
		}
		rot[i] = h.GetHash()
	}
	return rot, nil
}

// HashDistance is the Hamming distance between two 64-bit perceptual hashes:
// 0 for identical, ≤ PHashSameImage for the same photo.
func HashDistance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// MinRotationDistance is the smallest HashDistance between h and any of the
// four rotation hashes of another photo (its Processed.PHashRotations), so a
// photo re-uploaded turned by 90°, 180° or 270° still matches. It is
// symmetric in use: comparing a new photo's rotations against a stored PHash
// gives the same answer.
func MinRotationDistance(h uint64, rot [4]uint64) int {
	best := 64
	for _, r := range rot {
		best = min(best, HashDistance(h, r))
	}
	return best
}
