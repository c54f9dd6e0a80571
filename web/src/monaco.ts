// Monaco + @kusto/monaco-kusto, loaded on demand by editor.ts. Both workers (Monaco's own and the
// Kusto language service) are bundled by Vite and served from this origin.

import EditorWorker from 'monaco-editor/esm/vs/editor/editor.worker?worker';
import KustoWorker from '@kusto/monaco-kusto/release/esm/kusto.worker?worker';
import * as monaco from 'monaco-editor/esm/vs/editor/edcore.main';
import { getKustoWorker, themeNames } from '@kusto/monaco-kusto/release/esm/monaco.contribution';
import type { Editor, SchemaTable } from './editor';

(self as unknown as { MonacoEnvironment: unknown }).MonacoEnvironment = {
  getWorker: (_id: string, label: string) => (label === 'kusto' ? new KustoWorker() : new EditorWorker()),
};

export async function monacoEditor(host: HTMLElement, hooks: { run(): void; save(): void }, initial: string, tables: Promise<SchemaTable[]>): Promise<Editor> {
  host.replaceChildren();
  const ed = monaco.editor.create(host, {
    value: initial,
    language: 'kusto',
    theme: themeNames.light,
    automaticLayout: true,
    minimap: { enabled: false },
    fontSize: 13,
    scrollBeyondLastLine: false,
    wordWrap: 'on',
    fixedOverflowWidgets: true,
    suggest: { showStatusBar: false },
    ariaLabel: 'KQL query',
  });
  ed.addCommand(monaco.KeyMod.Shift | monaco.KeyCode.Enter, () => hooks.run());
  ed.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => hooks.save());
  (window as unknown as { __monaco: unknown }).__monaco = { monaco, editor: ed };
  // The store's schema for completion and diagnostics.
  void (async () => {
    const list = await tables;
    const db = {
      name: 'wirehunt', alternateName: undefined, functions: [], entityGroups: [], majorVersion: 1, minorVersion: 0,
      tables: list.map((t) => ({ name: t.name, docstring: t.description, entityType: 'Table' as const, columns: t.columns.map((c) => ({ name: c.name, type: c.type, docstring: c.description })) })),
    };
    const accessor = await getKustoWorker();
    const worker = await accessor(ed.getModel()!.uri);
    await worker.setSchema({ clusterType: 'Engine', cluster: { connectionString: 'wirehunt', databases: [db] }, database: db } as never);
    document.body.dataset['schema'] = 'set';
    // Re-validate with the schema in place.
    const model = ed.getModel()!;
    model.setValue(model.getValue());
  })().catch((err: unknown) => console.error('setting the Kusto schema failed:', err));
  const model = ed.getModel()!;
  return {
    kind: 'monaco',
    getValue: () => model.getValue(),
    getRunText: () => {
      const sel = ed.getSelection();
      const text = sel && !sel.isEmpty() ? model.getValueInRange(sel) : '';
      return text.trim() ? text : model.getValue();
    },
    setValue: (t) => {
      if (model.getValue() !== t) model.setValue(t);
    },
    insert: (t) => {
      const sel = ed.getSelection();
      if (sel) ed.executeEdits('insert', [{ range: sel, text: t, forceMoveMarkers: true }]);
      ed.focus();
    },
    focus: () => ed.focus(),
    onChange: (cb) => { model.onDidChangeContent(() => cb()); },
    diagnostics: () => monaco.editor.getModelMarkers({ resource: model.uri }).filter((m) => m.severity === monaco.MarkerSeverity.Error).map((m) => `${m.startLineNumber}:${m.startColumn} ${m.message}`),
  };
}
