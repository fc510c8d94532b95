// The Standard Schema interface (https://standardschema.dev), copied as its authors intend, so that any validator
// that implements it (zod, valibot, arktype, ...) can check job data without this package depending on one.

/** A validator implementing Standard Schema v1 (zod 3.24+ and 4, valibot, arktype, ...). */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema properties. */
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

/** Types of the Standard Schema interface. */
export declare namespace StandardSchemaV1 {
  /** The properties under `~standard`. */
  export interface Props<Input = unknown, Output = Input> {
    /** The version of the interface. */
    readonly version: 1;
    /** The library that implements it. */
    readonly vendor: string;
    /** Validates an unknown value. */
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    /** Inferred types, for type-level use only. */
    readonly types?: Types<Input, Output> | undefined;
  }
  /** The result of `validate`. */
  export type Result<Output> = SuccessResult<Output> | FailureResult;
  /** A valid value, possibly transformed. */
  export interface SuccessResult<Output> {
    /** The output value. */
    readonly value: Output;
    /** No issues. */
    readonly issues?: undefined;
  }
  /** An invalid value. */
  export interface FailureResult {
    /** What is wrong. */
    readonly issues: ReadonlyArray<Issue>;
  }
  /** One problem. */
  export interface Issue {
    /** Readable description. */
    readonly message: string;
    /** Where in the value. */
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  /** One step of an issue's path. */
  export interface PathSegment {
    /** The key. */
    readonly key: PropertyKey;
  }
  /** The schema's input and output types. */
  export interface Types<Input = unknown, Output = Input> {
    /** Input type. */
    readonly input: Input;
    /** Output type. */
    readonly output: Output;
  }
  /** The output type of a schema. */
  export type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['output'];
}
