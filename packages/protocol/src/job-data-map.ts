import type { JsonValue } from './job-data';
import type { JobUpdate, JobUpdateInput } from './job-update';

/**
 * Which `data` the jobs carry, by job id: keys are job ids or template-literal patterns of them
 * (`` `export-${string}` ``), values the exact type of `data` (add `| undefined` when some updates carry none).
 * The default: any JSON on any job.
 * @example type Jobs = { [jobId: `export-${string}`]: { url: string } };
 */
export type JobDataMap = { [jobId: string]: JsonValue | undefined };

/** The `data` type of job `Id` under `Map`; for an id no key matches (a plain `string`), any of the map's data types. */
export type JobDataOf<Map extends object, Id extends string> = Id extends keyof Map ? Map[Id] : Map[keyof Map];

/** `data` as a property: optional when `Data` admits `undefined`, required otherwise. */
export type JobDataProperty<Data> = [undefined] extends [Data] ? { data?: Data } : { data: Data };

/** Whether `Data` is exactly the untyped default, any JSON or none. */
export type IsUntypedJobData<Data> = [Data] extends [JsonValue | undefined] ? ([JsonValue | undefined] extends [Data] ? true : false) : false;

/** A {@link JobUpdate} whose `data` has the type `Data` (plain `JobUpdate` for the untyped default). */
export type JobUpdateOf<Data> = IsUntypedJobData<Data> extends true ? JobUpdate : Omit<JobUpdate, 'data'> & JobDataProperty<Data>;

/** A {@link JobUpdateInput} whose `data` has the type `Data`, required unless `Data` admits `undefined` (plain `JobUpdateInput` for the untyped default). */
export type JobUpdateInputOf<Data> = IsUntypedJobData<Data> extends true ? JobUpdateInput : Omit<JobUpdateInput, 'data'> & JobDataProperty<Data>;
