import Type from 'typebox';
import type { Static } from 'typebox';

export const DataKeyVersionParams = Type.Object({
  version: Type.Integer({ minimum: 1, maximum: 0xffffffff, description: 'A data key version' }),
});

export const DataKeyStatusResponse = Type.Object({
  KeyVersion: Type.Integer(),
  CreatedAt: Type.String(),
  IsActive: Type.Boolean(),
  SealedCount: Type.Integer({ description: 'How many stored values are sealed with this version' }),
});

export const KeyStatusResponse = Type.Object({
  ActiveKeyVersion: Type.Integer(),
  Versions: Type.Array(DataKeyStatusResponse),
  Rewrap: Type.Object({
    IsRunning: Type.Boolean(),
    TargetVersion: Type.Union([Type.Integer(), Type.Null()]),
    StartedAt: Type.Union([Type.String(), Type.Null()]),
    FinishedAt: Type.Union([Type.String(), Type.Null()]),
    RowsRewrapped: Type.Integer(),
    LeaseUntil: Type.Union([Type.String(), Type.Null()]),
  }),
});
export type KeyStatusResponse = Static<typeof KeyStatusResponse>;

export const RotateResponse = Type.Object({ KeyVersion: Type.Integer() });

export const RewrapResponse = Type.Object({
  TargetVersion: Type.Integer(),
  Rewrapped: Type.Integer(),
  ChangedMeanwhile: Type.Integer({ description: 'Values a request changed while they were resealed' }),
  Remaining: Type.Integer({ description: 'Values still sealed with an older version' }),
  Stopped: Type.Boolean(),
});
