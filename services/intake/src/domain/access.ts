import type { DomainEvent, StoredEvent } from '@aman/eventstore';

import type { PacketRefused, PacketReleased } from './events.ts';
import { FIELD_GROUPS, type FieldGroup } from './vocabulary.ts';

/*
 * The access audit: every read of a case's personal data is an event, appended before anything is
 * opened, so a read whose audit failed returns nothing. A provider's packet is audited on the
 * case's own stream (PacketReleased, PacketRefused). The NGO's read of its own record is audited
 * on a stream of its own: a read changes nothing, and must not move the case's version, which the
 * NGO's updates are checked against.
 */

/** The stream of the reads of a case that are not on the case's stream: the NGO's own. */
export function accessStream(caseId: string): string {
  return `access-${caseId}`;
}

/**
 * Private: the NGO that holds a case read its record (GetCase). Who (organisation, type, key),
 * which case, what (the field groups opened; none once erased), when. Nothing personal.
 */
export type CaseRecordReadData = {
  caseId: string;
  organisationId: string;
  organisationType: 'ngo';
  keyId: string;
  fieldGroups: FieldGroup[];
  readAt: string;
};
export type CaseRecordRead = DomainEvent<'CaseRecordRead', CaseRecordReadData>;

/** What a record read opens: every group the NGO holds, or none once the key is destroyed. */
export function recordFieldGroups(opened: boolean): FieldGroup[] {
  return opened ? [...FIELD_GROUPS] : [];
}

/** One access as the compromised-key report lists it: ids, vocabulary and a time. */
export type Access = {
  caseId: string;
  organisationId: string;
  organisationType: 'ngo' | 'provider';
  keyId: string;
  kind: 'record' | 'packet';
  /** refused: a packet was asked for and refused; nothing was opened, but the case was targeted. */
  outcome: 'read' | 'refused';
  fieldGroups: FieldGroup[];
  /** Packets only; '' for a record read. */
  referralId: string;
  /** ISO-8601 UTC with milliseconds, so that times order as strings. */
  at: string;
};

type AuditEvent = PacketReleased | PacketRefused | CaseRecordRead;

const utc = (time: string): string => new Date(time).toISOString();

/**
 * The access an audit event records; undefined for every other event. Packets are released only
 * to providers: the application refuses any other principal before the command is decided.
 */
export function accessOf(stored: StoredEvent): Access | undefined {
  if (!['PacketReleased', 'PacketRefused', 'CaseRecordRead'].includes(stored.type)) {
    return undefined;
  }
  const event = stored as StoredEvent<AuditEvent>;
  const packet = {
    kind: 'packet',
    organisationType: 'provider',
    keyId: event.metadata.actor.principalId,
  } as const;
  switch (event.type) {
    case 'PacketReleased':
      return {
        ...packet,
        caseId: event.data.caseId,
        organisationId: event.data.recipientOrganisationId,
        outcome: 'read',
        fieldGroups: [...event.data.fieldGroups],
        referralId: event.data.referralId,
        at: utc(event.data.releasedAt),
      };
    case 'PacketRefused':
      return {
        ...packet,
        caseId: event.data.caseId,
        organisationId: event.data.recipientOrganisationId,
        outcome: 'refused',
        fieldGroups: [],
        referralId: event.data.referralId,
        at: utc(event.data.refusedAt),
      };
    case 'CaseRecordRead':
      return {
        caseId: event.data.caseId,
        organisationId: event.data.organisationId,
        organisationType: event.data.organisationType,
        keyId: event.data.keyId,
        kind: 'record',
        outcome: 'read',
        fieldGroups: [...event.data.fieldGroups],
        referralId: '',
        at: utc(event.data.readAt),
      };
  }
}
