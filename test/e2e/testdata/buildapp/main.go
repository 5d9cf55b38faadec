// Command buildapp is the app the build end-to-end test compiles inside a
// wharf build, packs into a FROM scratch image and runs as a task.
package main

import (
	"fmt"
	"net/http"
)

// version is set at build time: -ldflags "-X main.version=COMMIT".
var version = "dev"

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "hello from %s\n", version)
	})
	_ = http.ListenAndServe(":8080", nil)
}
