/** Progress on stderr: a redrawn bar on a terminal, a line every few seconds otherwise. */
export function progressPrinter(render: () => string, stream: NodeJS.WriteStream = process.stderr, quiet = false) {
  let last = 0;
  return {
    update(force = false): void {
      if (quiet) return;
      const now = Date.now();
      if (stream.isTTY) {
        if (!force && now - last < 100) return;
        stream.write(`\r${render()}`);
      } else {
        if (!force && now - last < 5000) return;
        stream.write(`${render()}\n`);
      }
      last = now;
    },
    done(): void {
      if (quiet) return;
      stream.write(stream.isTTY ? `\r${render()}\n` : `${render()}\n`);
    },
  };
}
