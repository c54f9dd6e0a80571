// The KQL editor: a plain textarea at once (so the page is usable immediately and still works if
// Monaco fails to load), replaced by Monaco with @kusto/monaco-kusto (schema-aware completion and
// live diagnostics from the Kusto language service in a local web worker) once that has loaded.

export interface SchemaTable { name: string; description: string; columns: { name: string; type: string; description: string }[] }

export interface Editor {
  kind: 'monaco' | 'textarea';
  getValue(): string;
  /** The selected text when there is a selection, else the whole text (what Shift+Enter runs). */
  getRunText(): string;
  setValue(text: string): void;
  insert(text: string): void;
  focus(): void;
  onChange(cb: () => void): void;
  /** Errors the language service reports (Monaco only). */
  diagnostics(): string[];
}

interface Hooks { run(): void; save(): void }

function textareaEditor(host: HTMLElement, hooks: Hooks, initial: string): Editor {
  const ta = document.createElement('textarea');
  ta.className = 'fallback';
  ta.spellcheck = false;
  ta.setAttribute('aria-label', 'KQL query');
  ta.value = initial;
  ta.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.shiftKey) { e.preventDefault(); hooks.run(); }
    else if (e.key === 's' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); hooks.save(); }
    else if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey) {
      e.preventDefault();
      ta.setRangeText('    ', ta.selectionStart, ta.selectionEnd, 'end');
    }
  });
  host.replaceChildren(ta);
  const listeners: (() => void)[] = [];
  ta.addEventListener('input', () => listeners.forEach((l) => l()));
  return {
    kind: 'textarea',
    getValue: () => ta.value,
    getRunText: () => (ta.selectionEnd > ta.selectionStart ? ta.value.slice(ta.selectionStart, ta.selectionEnd) : ta.value),
    setValue: (t) => { ta.value = t; },
    insert: (t) => { ta.setRangeText(t, ta.selectionStart, ta.selectionEnd, 'end'); ta.focus(); listeners.forEach((l) => l()); },
    focus: () => ta.focus(),
    onChange: (cb) => listeners.push(cb),
    diagnostics: () => [],
  };
}

/** Starts with a textarea, upgrades to Monaco in the background; `ready` resolves with the final editor. */
export function createEditor(host: HTMLElement, hooks: Hooks, initial: string, tables: Promise<SchemaTable[]>): { editor: Editor; ready: Promise<Editor> } {
  const fallback = textareaEditor(host, hooks, initial);
  const proxy: Editor & { target: Editor; pending: (() => void)[] } = {
    target: fallback,
    pending: [],
    get kind() { return this.target.kind; },
    getValue() { return this.target.getValue(); },
    getRunText() { return this.target.getRunText(); },
    setValue(t) { this.target.setValue(t); },
    insert(t) { this.target.insert(t); },
    focus() { this.target.focus(); },
    onChange(cb) { this.pending.push(cb); this.target.onChange(cb); },
    diagnostics() { return this.target.diagnostics(); },
  };
  const ready = import('./monaco')
    .then(async (m) => {
      const focused = document.activeElement === host.firstElementChild;
      const ed = await m.monacoEditor(host, hooks, fallback.getValue(), tables);
      for (const cb of proxy.pending) ed.onChange(cb);
      proxy.target = ed;
      if (focused) ed.focus();
      document.body.dataset['editor'] = 'monaco';
      return proxy as Editor;
    })
    .catch((err: unknown) => {
      console.error('Monaco editor failed to load; using the plain editor:', err);
      document.body.dataset['editor'] = 'textarea';
      return proxy as Editor;
    });
  return { editor: proxy, ready };
}
