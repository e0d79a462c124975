// Command aman-ferretdb runs FerretDB 1.x with its SQLite backend on loopback, for tests and CI on
// machines without Docker or MongoDB.
//
// It embeds FerretDB's public `ferretdb` package instead of `go install`ing cmd/ferretdb, because a
// binary installed that way panics at start: it looks for a version.txt that the module zip does not
// carry (FerretDB issue #2982). Embedded FerretDB never sends telemetry.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on (keep it on loopback)")
	dir := flag.String("sqlite-dir", "", "existing directory that holds one SQLite file per database")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()

	if *dir == "" {
		fmt.Fprintln(os.Stderr, "aman-ferretdb: -sqlite-dir is required")
		os.Exit(2)
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		fmt.Fprintf(os.Stderr, "aman-ferretdb: cannot create %s: %v\n", *dir, err)
		os.Exit(1)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "aman-ferretdb: bad -log-level: %v\n", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	db, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/",
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "aman-ferretdb: %v\n", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logger.Info("aman-ferretdb listening", "addr", *listen, "dir", *dir)
	if err := db.Run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "aman-ferretdb: %v\n", err)
		os.Exit(1)
	}
}
