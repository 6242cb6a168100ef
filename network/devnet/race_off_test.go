//go:build !race

package devnet_test

const raceEnabled = false
