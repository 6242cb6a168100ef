// Package e2e holds certledger's end-to-end tests: the real binaries
// (certledger-devnet, certledger-gateway, certledger) built into a temporary folder
// and run as processes, the way an operator and a clerk run them.
//
// TestMain builds the binaries, initialises and starts a devnet on a free port,
// writes a gateway configuration with bearer tokens for the governance office, two
// departments, a key-test department and an auditor, starts the gateway and waits
// for /readyz. The tests then drive the certledger command line as a subprocess and
// check its stdout, stderr and exit code: every command of the CLI, each refusal
// (wrong department, no token, tampered file, compromised key, expired certificate,
// unreachable ledger), the verify page in headless Chromium, a gateway killed in the
// middle of a bulk issue, the network/fabric scenario against the devnet's profiles,
// and scripts/up.sh + scripts/down.sh (the README's `make up`).
//
//	go test -race ./e2e/...          # 20-50 s on 2 cores, most of it building the binaries
//	go test -short ./e2e/...         # skips everything here (so does CERTLEDGER_SKIP_E2E=1)
//
// Set CERTLEDGER_E2E_KEEP=1 to keep the temporary folder (logs, ledger) after the run.
package e2e
