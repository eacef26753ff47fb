import Type from 'typebox';
import { BoundedString } from '../../http/schema-helpers.js';

export const AccessQuery = Type.Object({
  object: BoundedString(512, {
    minLength: 1,
    description:
      'pam-provider:{id}, certificate-store:{guid}, certificate-store-container:{id} or local-entry:{providerId}/{secretName}',
  }),
});

const Action = Type.Union([Type.Literal('Read'), Type.Literal('Modify'), Type.Literal('Resolve')]);

const Grant = {
  Action,
  RoleId: Type.Integer(),
  RoleName: Type.String(),
  Permissions: Type.Array(Type.String(), {
    description: "The role's access-control strings that allow the action",
  }),
};

export const AccessResponse = Type.Object({
  Object: Type.String(),
  Claims: Type.Array(
    Type.Object({
      ClaimType: Type.String(),
      ClaimValue: Type.String(),
      ProviderAuthenticationScheme: Type.String(),
      Access: Type.Array(Type.Object(Grant)),
    }),
  ),
  Users: Type.Array(
    Type.Object({
      Username: Type.String(),
      Access: Type.Array(Type.Object({ ...Grant, Claim: Type.String() })),
    }),
  ),
});
