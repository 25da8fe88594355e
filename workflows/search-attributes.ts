// Custom search attributes every run carries, so Temporal UI and
// `temporal workflow list --query 'SynclineJobId="7"'` can filter runs.
// The dev server started by scripts/ and by the tests registers exactly these.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SynclineJobId = defineSearchAttributeKey('SynclineJobId', SearchAttributeType.KEYWORD);
export const SynclineWorkspaceId = defineSearchAttributeKey('SynclineWorkspaceId', SearchAttributeType.KEYWORD);
export const SynclineTrigger = defineSearchAttributeKey('SynclineTrigger', SearchAttributeType.KEYWORD);
export const SynclineScheduleId = defineSearchAttributeKey('SynclineScheduleId', SearchAttributeType.KEYWORD);
export const SynclineRunId = defineSearchAttributeKey('SynclineRunId', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_KEYS = [SynclineJobId, SynclineWorkspaceId, SynclineTrigger, SynclineScheduleId, SynclineRunId];

/** `--search-attribute NAME=Keyword` arguments for `temporal server start-dev`. */
export function searchAttributeServerArgs(): string[] {
  return SEARCH_ATTRIBUTE_KEYS.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
}
