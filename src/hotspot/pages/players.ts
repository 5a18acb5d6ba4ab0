// Activities that a package player runs (in the sandbox) rather than a page renders: their
// links on the course page, and their old read-only address, go to the player's page.
import { seg } from "./layout.js";

/** Activity type → the player's path segment: /c/<course>/<player>/<activity>. */
const PLAYER_OF_TYPE: Record<string, string> = { h5p: "h5p", h5pactivity: "h5p", scorm: "scorm" };

/** The player page of an activity, or null when no player runs its type. */
export function playerUrl(courseId: string, activity: { id: string; type: string }): string | null {
  const player = PLAYER_OF_TYPE[activity.type];
  return player ? `/c/${seg(courseId)}/${player}/${seg(activity.id)}` : null;
}
