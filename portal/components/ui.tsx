import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  isLoading: boolean;
  reload: () => void;
}

/** Loads data for a page and reloads it when a dependency changes; the newest request wins. */
export function useLoad<T>(load: () => Promise<T>, dependencies: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; isLoading: boolean }>({ isLoading: true });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let isCurrent = true;
    setState((previous) => ({ ...previous, isLoading: true }));
    load().then(
      (data) => isCurrent && setState({ data, isLoading: false }),
      (error: unknown) =>
        isCurrent &&
        setState({ error: error instanceof Error ? error : new Error(String(error)), isLoading: false }),
    );
    return () => {
      isCurrent = false;
    };
  }, [...dependencies, generation]);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { data: state.data, error: state.error, isLoading: state.isLoading, reload };
}

/** Runs one action at a time for a form, keeping its failure's message to show. */
export function useAction(): {
  isBusy: boolean;
  error: Error | undefined;
  run: (action: () => Promise<void>) => Promise<boolean>;
  clear: () => void;
} {
  const [isBusy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const run = useCallback(async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      return true;
    } catch (failure) {
      setError(failure instanceof Error ? failure : new Error(String(failure)));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { isBusy, error, run, clear: () => setError(undefined) };
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** The API's own Message, announced to screen readers. */
export function ErrorMessage({ error }: { error: Error | undefined }) {
  if (error === undefined) return null;
  return (
    <p class="error" role="alert">
      {error.message}
    </p>
  );
}

export function PageTitle({ children }: { children: string }) {
  useEffect(() => {
    document.title = `${children} · Strongroom`;
  }, [children]);
  return <h1>{children}</h1>;
}

let fieldCounter = 0;

/** A labelled input: every field has a visible label tied to it. */
export function Field(props: {
  label: string;
  value: string;
  onInput: (value: string) => void;
  hint?: string;
  type?: 'text' | 'password';
  required?: boolean;
  maxLength?: number;
  minLength?: number;
  autoComplete?: string;
}) {
  const { label, value, onInput, hint } = props;
  const [id] = useState(() => `field-${(fieldCounter += 1)}`);
  const attributes = {
    id,
    value,
    required: props.required,
    maxLength: props.maxLength,
    minLength: props.minLength,
    autoComplete: props.autoComplete,
    onInput: (event: { currentTarget: HTMLInputElement }) => onInput(event.currentTarget.value),
    ...(hint === undefined ? {} : { 'aria-describedby': `${id}-hint` }),
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {props.type === 'password' ? (
        <input type="password" {...attributes} />
      ) : (
        <input type="text" {...attributes} />
      )}
      {hint === undefined ? null : (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

export function SelectField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: readonly { value: string; label: string }[];
  required?: boolean;
}) {
  const [id] = useState(() => `field-${(fieldCounter += 1)}`);
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select
        id={id}
        value={props.value}
        required={props.required}
        onChange={(event) => props.onChange(event.currentTarget.value)}
      >
        {props.options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export function TextAreaField(props: {
  label: string;
  value: string;
  onInput: (value: string) => void;
  hint?: string;
  rows?: number;
}) {
  const [id] = useState(() => `field-${(fieldCounter += 1)}`);
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <textarea
        id={id}
        rows={props.rows ?? 4}
        value={props.value}
        onInput={(event) => props.onInput(event.currentTarget.value)}
        {...(props.hint === undefined ? {} : { 'aria-describedby': `${id}-hint` })}
      />
      {props.hint === undefined ? null : (
        <small id={`${id}-hint`} class="hint">
          {props.hint}
        </small>
      )}
    </div>
  );
}

/** A delete (or other irreversible) button that asks first, in the page rather than in a browser dialog. */
export function ConfirmButton(props: { label: string; question: string; onConfirm: () => Promise<void> }) {
  const [isAsking, setAsking] = useState(false);
  const action = useAction();
  if (!isAsking) {
    return (
      <button type="button" class="danger" onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={props.question}>
      <span>{props.question}</span>{' '}
      <button
        type="button"
        class="danger"
        disabled={action.isBusy}
        onClick={() => void action.run(props.onConfirm).then((done) => done && setAsking(false))}
      >
        Yes, {props.label.toLowerCase()}
      </button>{' '}
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
      <ErrorMessage error={action.error} />
    </span>
  );
}

/** Keyfactor lists page with PageReturned and ReturnLimit; a full page means there may be another. */
export function Pager(props: {
  page: number;
  pageSize: number;
  count: number;
  onPage: (page: number) => void;
}) {
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={props.page <= 1} onClick={() => props.onPage(props.page - 1)}>
        Previous page
      </button>
      <span>Page {props.page}</span>
      <button
        type="button"
        disabled={props.count < props.pageSize}
        onClick={() => props.onPage(props.page + 1)}
      >
        Next page
      </button>
    </nav>
  );
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** Times as people read them, in UTC like the audit log and the server's logs: 2026-12-04 16:11:09 UTC. */
export function formatTime(iso: string): string {
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return iso;
  return `${time.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
