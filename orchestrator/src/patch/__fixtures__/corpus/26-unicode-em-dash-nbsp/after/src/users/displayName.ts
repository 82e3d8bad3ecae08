export type User = {
  id: string;
  email: string;
  firstName?: string;
  lastName?: string;
  nickname?: string;
};

// Prefer the nickname - people chose it themselves.
export function displayName(user: User): string {
  const nickname = user.nickname?.trim();
  if (nickname) return nickname;
  const full = [user.firstName, user.lastName].filter(Boolean).join(" ");
  return full || user.email;
}

export function initials(user: User): string {
  const name = displayName(user);
  return name
    .split(/\s+/)
    .map((part) => part[0]?.toUpperCase() ?? "")
    .join("")
    .slice(0, 2);
}
