// Generates docs/events.md from the `actors/*/events.ts` contracts, so the catalogue cannot drift:
// each file's `*_EVENT_PREFIX`, its `*EventData` interface (one property per fact, with the fields
// of each event's `data` and their doc comments) and its `*EventCatalogue` descriptions.
//   node --import tsx scripts/event-catalogue.ts          print
//   node --import tsx scripts/event-catalogue.ts --write  update docs/events.md
import { readdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
export const EVENTS_DOC = join(root, 'docs', 'events.md');

interface Field {
  name: string;
  type: string;
  optional: boolean;
  doc: string;
}

interface Fact {
  name: string;
  description: string;
  fields: Field[] | string;
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
}

function docOf(node: ts.Node): string {
  const jsdoc = (node as { jsDoc?: ts.JSDoc[] }).jsDoc;
  if (!jsdoc?.length) return '';
  return jsdoc.map((d) => (typeof d.comment === 'string' ? d.comment : (d.comment ?? []).map((c) => c.text).join(''))).join(' ').replace(/\s+/g, ' ').trim();
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/;\s*}/g, ' }').trim();
}

/** Finds an interface or type alias named `name` in `file` or in the files it imports from. */
function findType(file: string, name: string, seen = new Set<string>()): { node: ts.InterfaceDeclaration | ts.TypeAliasDeclaration; file: string } | undefined {
  if (seen.has(file)) return undefined;
  seen.add(file);
  const sf = parse(file);
  for (const st of sf.statements) {
    if ((ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) && st.name.text === name) return { node: st, file };
  }
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) && !ts.isExportDeclaration(st)) continue;
    const spec = st.moduleSpecifier;
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) continue;
    const target = resolve(dirname(file), spec.text.replace(/\.js$/, '.ts'));
    if (!existsSync(target)) continue;
    const found = findType(target, name, seen);
    if (found) return found;
  }
  return undefined;
}

function fieldsOf(members: ts.NodeArray<ts.TypeElement>): Field[] {
  const out: Field[] = [];
  for (const m of members) {
    if (!ts.isPropertySignature(m) || !m.type) continue;
    out.push({ name: m.name.getText(), type: oneLine(m.type.getText()), optional: !!m.questionToken, doc: docOf(m) });
  }
  return out;
}

function fieldsOfType(type: ts.TypeNode, file: string): Field[] | string {
  if (ts.isTypeLiteralNode(type)) return fieldsOf(type.members);
  if (ts.isTypeReferenceNode(type)) {
    const found = findType(file, type.typeName.getText());
    if (found && ts.isInterfaceDeclaration(found.node)) return fieldsOf(found.node.members);
    if (found && ts.isTypeAliasDeclaration(found.node) && ts.isTypeLiteralNode(found.node.type)) return fieldsOf(found.node.type.members);
  }
  return oneLine(type.getText());
}

function catalogueOf(sf: ts.SourceFile): Map<string, string> {
  const out = new Map<string, string>();
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) {
      if (!/EventCatalogue$/.test(d.name.getText()) || !d.initializer || !ts.isObjectLiteralExpression(d.initializer)) continue;
      for (const p of d.initializer.properties) {
        if (ts.isPropertyAssignment(p) && ts.isStringLiteralLike(p.initializer)) out.set(p.name.getText().replace(/['"]/g, ''), p.initializer.text);
      }
    }
  }
  return out;
}

function prefixOf(sf: ts.SourceFile): string | undefined {
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) {
      if (/_EVENT_PREFIX$/.test(d.name.getText()) && d.initializer && ts.isStringLiteral(d.initializer)) return d.initializer.text;
    }
  }
  return undefined;
}

export function eventContracts(): Array<{ file: string; prefix: string; facts: Fact[] }> {
  const actorsDir = join(root, 'actors');
  const out = [];
  for (const dir of readdirSync(actorsDir).sort()) {
    const file = join(actorsDir, dir, 'events.ts');
    if (!existsSync(file)) continue;
    const sf = parse(file);
    const prefix = prefixOf(sf);
    const data = sf.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && /EventData$/.test(s.name.text));
    if (!prefix || !data) throw new Error(`${relative(root, file)}: needs an exported *_EVENT_PREFIX and a *EventData interface (see actors/connection/events.ts)`);
    const descriptions = catalogueOf(sf);
    const facts: Fact[] = [];
    for (const m of data.members) {
      if (!ts.isPropertySignature(m) || !m.type) continue;
      const name = m.name.getText();
      facts.push({ name, description: descriptions.get(name) ?? docOf(m), fields: fieldsOfType(m.type, file) });
    }
    out.push({ file: relative(root, file), prefix, facts });
  }
  return out;
}

export function renderEventCatalogue(): string {
  const lines: string[] = [
    '# Event catalogue',
    '',
    '<!-- Generated by `node --import tsx scripts/event-catalogue.ts --write` from actors/*/events.ts. Do not edit by hand. -->',
    '',
    'Every event is a CloudEvents 1.0 JSON object (`specversion`, `id`, `source`, `type`, `subject`,',
    '`time`, `datacontenttype`, `data`) with two extensions: `sequence` (orders the events of one',
    '`correlationid`) and `correlationid` (the connection id, or the actor stream id). On NATS an event',
    'travels on `tlsedge.evt.<actor>.<correlationid>.<fact>`; the event log (JSONL files or the',
    'JetStream stream) keeps them all. Events carry key ids, never key material, PINs or session secrets.',
    '',
    'Watch them with `tlsedge events --follow [--json] [--type T] [--sni NAME]`; explain one connection',
    'with `tlsedge replay --connection ID`.',
    '',
  ];
  for (const contract of eventContracts()) {
    lines.push(`## \`${contract.prefix}*\``, '', `Defined in \`${contract.file}\`.`, '', '| type | meaning |', '|---|---|');
    for (const f of contract.facts) lines.push(`| \`${contract.prefix}${f.name}\` | ${f.description.replace(/\|/g, '\\|')} |`);
    lines.push('');
    for (const f of contract.facts) {
      lines.push(`### \`${f.name}\``, '');
      if (typeof f.fields === 'string') {
        lines.push(`\`data\`: \`${f.fields}\``, '');
        continue;
      }
      lines.push('| field | type | meaning |', '|---|---|---|');
      for (const field of f.fields) {
        lines.push(`| \`${field.name}\`${field.optional ? ' (optional)' : ''} | \`${field.type.replace(/\|/g, '\\|')}\` | ${field.doc.replace(/\|/g, '\\|')} |`);
      }
      lines.push('');
    }
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const text = renderEventCatalogue();
  if (process.argv.includes('--write')) {
    writeFileSync(EVENTS_DOC, text);
    process.stdout.write(`wrote ${relative(root, EVENTS_DOC)}\n`);
  } else {
    process.stdout.write(text);
  }
}
