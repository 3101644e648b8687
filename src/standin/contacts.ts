// The stand-in's contact store, with Chatwoot's validation and uniqueness rules
// (see /work/shared/livedesk-api.md, "Validation and errors").

export interface StandinContact {
  id: number;
  name: string | null;
  email: string | null;
  phone_number: string | null;
  identifier: string | null;
  avatar_url: string | null;
  inbox_id: string;
  blocked: boolean;
  additional_attributes: Record<string, unknown>;
  custom_attributes: Record<string, unknown>;
  created_at: number;
}

const TEXT_FIELDS = ['name', 'email', 'phone_number', 'identifier', 'avatar_url'] as const;
type TextField = (typeof TEXT_FIELDS)[number];
const ATTRIBUTE_FIELDS = ['additional_attributes', 'custom_attributes'] as const;

/** What a create or update request asks to set; a key that is absent is left alone. */
export type ContactChanges = Partial<
  Pick<StandinContact, TextField | 'blocked' | (typeof ATTRIBUTE_FIELDS)[number]>
>;
export type ChangeField = keyof ContactChanges;

export const CREATE_FIELDS: readonly ChangeField[] = [...TEXT_FIELDS, ...ATTRIBUTE_FIELDS];
/** LiveDesk documents no avatar_url on update. */
export const UPDATE_FIELDS: readonly ChangeField[] = [
  'name',
  'email',
  'phone_number',
  'identifier',
  'blocked',
  ...ATTRIBUTE_FIELDS,
];

type UniqueField = 'email' | 'identifier' | 'phone_number';
export interface FieldError {
  attribute: UniqueField;
  message: string;
}

/** Devise.email_regexp. */
const EMAIL_FORMAT = /^[^@\s]+@[^@\s]+$/;
/** Chatwoot only anchors the end; anchoring both ends is stricter, which is the safer side. */
const E164_FORMAT = /^\+[1-9]\d{1,14}$/;
const FIRST_ID = 2_219_000;
const PAGE_SIZE = 15;

export type Parsed = { ok: true; changes: ContactChanges } | { ok: false; error: string };

/** Reads the allowed fields from a request body; wrong JSON types are a 400, not a 422. */
export function parseChanges(body: Record<string, unknown>, allowed: readonly ChangeField[]): Parsed {
  const changes: ContactChanges = {};
  for (const field of allowed) {
    const value = body[field];
    if (value === undefined) continue;
    if (field === 'blocked') {
      if (typeof value !== 'boolean') return { ok: false, error: 'blocked must be true or false' };
      changes.blocked = value;
    } else if (field === 'additional_attributes' || field === 'custom_attributes') {
      if (value === null) continue;
      if (typeof value !== 'object' || Array.isArray(value)) {
        return { ok: false, error: `${field} must be an object` };
      }
      changes[field] = value as Record<string, unknown>;
    } else {
      const text = parseText(field, value);
      if (text === undefined) return { ok: false, error: `${field} must be a string` };
      changes[field] = text;
    }
  }
  return { ok: true, changes };
}

/** Rails treats blank strings as absent and casts numbers; email is stored lower-cased. */
function parseText(field: TextField, value: unknown): string | null | undefined {
  if (value === null) return null;
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value);
  if (text.trim() === '') return null;
  return field === 'email' ? text.toLowerCase() : text;
}

export class ContactStore {
  private readonly list: StandinContact[] = [];
  private readonly byId = new Map<number, StandinContact>();
  private readonly byKey: Record<UniqueField, Map<string, number>> = {
    email: new Map(),
    identifier: new Map(),
    phone_number: new Map(),
  };
  // IDs keep rising across clear(), as a real server's would.
  private nextId = FIRST_ID;

  all(): readonly StandinContact[] {
    return this.list;
  }

  find(id: number): StandinContact | undefined {
    return this.byId.get(id);
  }

  /** Chatwoot's errors, in its validator order: email, identifier, phone number. */
  check(keys: Pick<StandinContact, UniqueField>, selfId?: number): FieldError[] {
    const errors: FieldError[] = [];
    const taken = (field: UniqueField, value: string) => {
      const owner = this.byKey[field].get(value);
      return owner !== undefined && owner !== selfId;
    };
    if (keys.email !== null) {
      if (taken('email', keys.email)) errors.push({ attribute: 'email', message: 'Email has already been taken' });
      if (!EMAIL_FORMAT.test(keys.email)) errors.push({ attribute: 'email', message: 'Email Invalid email' });
    }
    if (keys.identifier !== null && taken('identifier', keys.identifier)) {
      errors.push({ attribute: 'identifier', message: 'Identifier has already been taken' });
    }
    if (keys.phone_number !== null) {
      if (taken('phone_number', keys.phone_number)) {
        errors.push({ attribute: 'phone_number', message: 'Phone number has already been taken' });
      }
      if (!E164_FORMAT.test(keys.phone_number)) {
        errors.push({ attribute: 'phone_number', message: 'Phone number should be in e164 format' });
      }
    }
    return errors;
  }

  /** Stores a contact; the caller has run check() on newContact(changes) first. */
  insert(contact: StandinContact): StandinContact {
    const stored = { ...contact, id: this.nextId++ };
    this.list.push(stored);
    this.byId.set(stored.id, stored);
    this.index(stored);
    return stored;
  }

  /** Applies changes to a stored contact; the caller has run check() on the result first. */
  update(contact: StandinContact, changes: ContactChanges): void {
    this.unindex(contact);
    Object.assign(contact, withMergedAttributes(contact, changes));
    this.index(contact);
  }

  /** Chatwoot's search: case-insensitive substring over four fields, creation order. */
  search(query: string, page: number): { count: number; items: StandinContact[] } {
    const needle = query.toLowerCase();
    const matches = this.list.filter((contact) =>
      [contact.email, contact.phone_number, contact.name, contact.identifier].some(
        (value) => value !== null && value.toLowerCase().includes(needle),
      ),
    );
    const start = (page - 1) * PAGE_SIZE;
    return { count: matches.length, items: matches.slice(start, start + PAGE_SIZE) };
  }

  /** Deletes a contact (as a person could in LiveDesk); false when there is none with this ID. */
  remove(id: number): boolean {
    const contact = this.byId.get(id);
    if (!contact) return false;
    this.unindex(contact);
    this.byId.delete(id);
    this.list.splice(this.list.indexOf(contact), 1);
    return true;
  }

  clear(): void {
    this.list.length = 0;
    this.byId.clear();
    for (const map of Object.values(this.byKey)) map.clear();
  }

  private index(contact: StandinContact): void {
    for (const field of ['email', 'identifier', 'phone_number'] as const) {
      const value = contact[field];
      if (value !== null) this.byKey[field].set(value, contact.id);
    }
  }

  private unindex(contact: StandinContact): void {
    for (const field of ['email', 'identifier', 'phone_number'] as const) {
      const value = contact[field];
      if (value !== null) this.byKey[field].delete(value);
    }
  }
}

/** A contact as a create would store it; id 0 until insert() numbers it. */
export function newContact(changes: ContactChanges, inboxId: string, nowSeconds: number): StandinContact {
  return {
    id: 0,
    name: changes.name ?? null,
    email: changes.email ?? null,
    phone_number: changes.phone_number ?? null,
    identifier: changes.identifier ?? null,
    avatar_url: changes.avatar_url ?? null,
    inbox_id: inboxId,
    blocked: false,
    additional_attributes: changes.additional_attributes ?? {},
    custom_attributes: changes.custom_attributes ?? {},
    created_at: nowSeconds,
  };
}

/** Chatwoot merges both attribute objects on update (shallow) instead of replacing them. */
export function withMergedAttributes(contact: StandinContact, changes: ContactChanges): StandinContact {
  return {
    ...contact,
    ...changes,
    additional_attributes: { ...contact.additional_attributes, ...changes.additional_attributes },
    custom_attributes: { ...contact.custom_attributes, ...changes.custom_attributes },
  };
}

/** The contact as the API shows it: LiveDesk's documented fields, nothing more. */
export function apiContact(contact: StandinContact) {
  return {
    id: contact.id,
    name: contact.name,
    email: contact.email,
    phone_number: contact.phone_number,
    identifier: contact.identifier,
    blocked: contact.blocked,
    availability_status: 'offline',
    // Chatwoot fetches avatars asynchronously, so a fresh contact never has a thumbnail yet.
    thumbnail: '',
    additional_attributes: contact.additional_attributes,
    custom_attributes: contact.custom_attributes,
    created_at: contact.created_at,
    contact_inboxes: [],
  };
}
