/**
 * The read models' rules: how each event of intake, risk, referral and accountability is folded
 * into an NGO's case view and a provider's inbox entry, the same in any arrival order, and who
 * may see a case. Pure: no I/O.
 */
export { CASE_VIEW_EVENTS, INBOX_EVENTS, type ViewEvent } from './events.ts';
export {
  caseIdOf,
  emptyCaseView,
  foldCaseView,
  isCaseOf,
  type CaseView,
  type ReferralView,
} from './caseView.ts';
export { foldInboxItem, referralIdOf, type InboxItem } from './inboxItem.ts';
export { stageName, type Stage } from './stages.ts';
export {
  MONITOR_TABLES,
  PERIOD,
  PUBLIC_TABLES,
  REFERRALS_BY_OUTCOME,
  STATISTICS_EVENTS,
  STATISTICS_TABLES,
  UNSPECIFIED,
  cellOf,
  periodOf,
  periodsBetween,
  statisticsFacts,
  tableView,
  type StatisticsFact,
  type TableSpec,
  type TableView,
} from './statistics.ts';
export { suppressRow, type Published, type PublishedRow } from './suppression.ts';
