// The web terminal page: an xterm.js terminal filling the window, attached
// to a wasmlinux machine through the embedding API (vm.ts).

import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { NR_CPUS } from '../core/abi.js';
import { parseMounts, unsupportedReason, WasmLinux, type BootProgress } from './vm.js';

const status = document.getElementById('status') as HTMLDivElement;
const host = document.getElementById('terminal') as HTMLDivElement;

function showStatus(text: string, error = false): void {
  status.textContent = text;
  status.className = error ? 'error' : '';
  status.hidden = false;
}

function showProgress(p: BootProgress): void {
  if (p.phase === 'download') {
    const mib = (n: number): string => (n / 1048576).toFixed(1);
    const of = p.total ? ` of ${mib(p.total)}` : '';
    status.replaceChildren(`Downloading… ${mib(p.loaded ?? 0)}${of} MiB`);
    if (p.total) {
      const bar = document.createElement('progress');
      bar.max = p.total;
      bar.value = p.loaded ?? 0;
      status.append(document.createElement('br'), bar);
    }
  } else {
    showStatus(p.phase === 'compile' ? 'Compiling the kernel…' : 'Booting…');
  }
}

/**
 * Files in and out: files dropped on the terminal are copied into /root;
 * `download FILE` in the guest saves FILE in the browser.
 */
function handleFiles(vm: WasmLinux, term: Terminal): void {
  vm.onDownload(saveFile);
  host.addEventListener('dragover', (e) => e.preventDefault());
  host.addEventListener('drop', (e) => {
    e.preventDefault();
    const files = [...(e.dataTransfer?.files ?? [])];
    void (async () => {
      for (const file of files) {
        const name = file.name.replace(/[/\n\0]/g, '_') || 'dropped-file';
        try {
          const data = new Uint8Array(await file.arrayBuffer());
          await vm.writeFile(`/root/${name}`, data, {
            onProgress: (sent, total) =>
              showStatus(
                `Copying ${name} to /root: ${Math.floor((sent * 100) / Math.max(total, 1))}%`,
              ),
          });
          status.hidden = true;
          term.focus();
        } catch (err) {
          showStatus(`Could not copy ${name}: ${(err as Error).message}`, true);
        }
      }
    })();
  });
}

/** Saves bytes as a file through the browser's download. */
function saveFile(name: string, data: Uint8Array): void {
  const url = URL.createObjectURL(new Blob([data as Uint8Array<ArrayBuffer>]));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The home's controls: export /root as .tar, import one, reset (then reload). */
function homeControls(vm: WasmLinux, term: Terminal): void {
  const bar = document.getElementById('home') as HTMLDivElement;
  const picker = document.getElementById('home-file') as HTMLInputElement;
  const button = (id: string): HTMLButtonElement =>
    document.getElementById(id) as HTMLButtonElement;
  const busy = async (what: string, work: () => Promise<void>): Promise<void> => {
    showStatus(`${what}…`);
    try {
      await work();
      status.hidden = true;
    } catch (err) {
      showStatus(`${what} failed: ${(err as Error).message}`, true);
    }
    term.focus();
  };
  button('home-export').onclick = () =>
    void busy('Exporting /root', async () => saveFile('wasmlinux-home.tar', await vm.exportHome()));
  button('home-import').onclick = () => picker.click();
  picker.onchange = () => {
    const file = picker.files?.[0];
    picker.value = '';
    if (!file) return;
    void busy(`Importing ${file.name} into /root`, async () =>
      vm.importHome(new Uint8Array(await file.arrayBuffer()), (sent, total) =>
        showStatus(`Copying ${file.name}: ${Math.floor((sent * 100) / Math.max(total, 1))}%`),
      ),
    );
  };
  button('home-reset').onclick = () => {
    const kept = vm.home === 'kept';
    const question = kept
      ? 'Empty /root for good and restart the machine?'
      : 'Restart the machine? (/root is not kept in this tab anyway)';
    if (!confirm(question)) return;
    void busy('Resetting /root', async () => {
      vm.shutdown();
      await vm.exited;
      if (kept) await vm.resetHome();
      location.reload();
    });
  };
  bar.hidden = false;
}

async function main(): Promise<void> {
  const why = unsupportedReason();
  if (why) {
    showStatus(`wasmlinux cannot run here: ${why}`, true);
    return;
  }
  const term = new Terminal({ convertEol: false, cursorBlink: true, scrollback: 5000 });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(host);
  fit.fit();
  window.addEventListener('resize', () => fit.fit());

  const params = new URLSearchParams(location.search);
  // ?mount=ws://HOST:PORT/?token=T[:/mnt/x][:ro], repeatable: 9P servers
  // (wasmlinux serve-9p) mounted at boot. A bad one is reported and skipped.
  const mounts: string[] = [];
  for (const m of params.getAll('mount')) {
    try {
      parseMounts([m]);
      mounts.push(m);
    } catch (err) {
      term.write(`\x1b[31mwasmlinux: ?mount=${(err as Error).message}; not mounted\x1b[0m\r\n`);
    }
  }
  // ?cpus=N: virtual CPUs; a bad value is reported and the default used.
  let cpus: number | undefined;
  const cpusParam = params.get('cpus');
  if (cpusParam !== null) {
    const n = Number(cpusParam);
    if (/^\d+$/.test(cpusParam) && n >= 1 && n <= NR_CPUS) cpus = n;
    else {
      term.write(
        `\x1b[31mwasmlinux: ?cpus=${cpusParam} is not a number of CPUs from 1 to ${NR_CPUS}; using the default\x1b[0m\r\n`,
      );
    }
  }
  // ?net=ws://HOST:PORT/?token=T: a network through a wasmlinux serve-net relay.
  const net = params.get('net') ?? undefined;
  const vm = new WasmLinux({
    onProgress: showProgress,
    memoryMiB: Number(params.get('mem') ?? '') || 128,
    cpus,
    mounts,
    // ?persist=0: /root is not kept (nor mounted) in this tab.
    persist: params.get('persist') !== '0',
    ...(net ? { net } : {}),
  });
  // For the console and for tests: the machine and the terminal.
  Object.assign(window, { wasmlinux: vm, wasmlinuxTerminal: term });
  await vm.boot();
  let first = true;
  vm.onOutput(() => {
    if (first) status.hidden = true;
    first = false;
  });
  vm.attach(term);
  term.focus();
  handleFiles(vm, term);
  if (vm.home !== 'off') homeControls(vm, term);
  // The shell's prompt sets the title (user@host: dir) for xterm-like terminals.
  term.onTitleChange((title) => (document.title = title || 'wasmlinux'));
  const exit = await vm.exited;
  const how =
    exit.kind === 'panic'
      ? `kernel panic: ${exit.message}`
      : exit.kind === 'crash'
        ? `the machine crashed: ${exit.message}`
        : 'the machine has stopped';
  term.write(`\r\n[${how}; reload the page to start again]\r\n`);
}

main().catch((err: unknown) => {
  showStatus(
    `wasmlinux failed to start: ${err instanceof Error ? err.message : String(err)}`,
    true,
  );
});
