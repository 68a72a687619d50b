import type { ImageSummary } from '../../../src-main/core/engine/types';
import { CopyButton } from '../../components/CopyButton';
import { Bytes, RelativeTime } from '../../components/Time';
import type { Column } from '../../components/VirtualTable';
import { shortDigest, shortHash, splitRepoTag } from '../../format';
import { primaryRepository } from '../../store/image-query';

/** How a row is named in labels and dialogs: its first tag, else its short ID. */
export function imageLabel(image: ImageSummary): string {
  return image.repoTags[0] ?? image.shortId ?? image.id.slice(7, 19);
}

function RepositoryCell({ image, onOpen }: { image: ImageSummary; onOpen(image: ImageSummary): void }) {
  const repository = primaryRepository(image);
  const others = new Set(image.repoTags.map((t) => splitRepoTag(t).repository).filter((r) => r !== repository));
  return (
    <span className="cell-repository">
      <button type="button" tabIndex={-1} className="link-button" title={`Open ${imageLabel(image)}`} onClick={(e) => (e.stopPropagation(), onOpen(image))}>
        {repository || <span className="muted">&lt;none&gt;</span>}
      </button>
      {image.dangling && <span className="badge badge-muted" title="No tag points at this image">dangling</span>}
      {others.size > 0 && (
        <span className="muted small" title={[...others].join('\n')}>
          +{others.size}
        </span>
      )}
    </span>
  );
}

/** Marks a chip row that does not fit, so its end fades out instead of being cut mid-letter. */
function markOverflow(node: HTMLElement | null) {
  if (!node || typeof ResizeObserver === 'undefined') return;
  const check = () => node.classList.toggle('overflowing', node.scrollWidth > node.clientWidth + 1);
  const observer = new ResizeObserver(check);
  observer.observe(node);
  check();
  return () => observer.disconnect();
}

/** Every tag as a chip; tags from another repository than the row's show their repository too. */
function TagChips({ image }: { image: ImageSummary }) {
  if (!image.repoTags.length) return <span className="muted">&lt;none&gt;</span>;
  const repository = primaryRepository(image);
  return (
    <span className="chips" ref={markOverflow} title={image.repoTags.join('\n')}>
      {image.repoTags.map((ref) => {
        const { repository: repo, tag } = splitRepoTag(ref);
        return (
          <span key={ref} className="chip">
            {repo === repository ? tag : ref}
          </span>
        );
      })}
    </span>
  );
}

export function imageColumns(onOpen: (image: ImageSummary) => void): Column<ImageSummary>[] {
  return [
    { id: 'repository', header: 'Repository', minWidth: 150, grow: 3, sortable: true, cell: (i) => <RepositoryCell image={i} onOpen={onOpen} /> },
    { id: 'tag', header: 'Tags', minWidth: 120, grow: 2, sortable: true, cell: (i) => <TagChips image={i} /> },
    {
      id: 'id',
      header: 'Image ID',
      minWidth: 128,
      sortable: true,
      cell: (i) => (
        <span className="cell-id">
          <span className="mono" title={i.id}>
            {i.shortId}
          </span>
          <CopyButton value={i.id} label={`Copy image ID of ${imageLabel(i)}`} />
        </span>
      ),
    },
    {
      id: 'digest',
      header: 'Digest',
      minWidth: 116,
      sortable: true,
      cell: (i) =>
        i.repoDigests.length ? (
          <span className="mono muted" title={i.repoDigests.join('\n')}>
            {shortHash(shortDigest(i.repoDigests[0]))}
          </span>
        ) : (
          <span className="muted" title="Never pushed or pulled: no registry digest">
            —
          </span>
        ),
    },
    { id: 'created', header: 'Created', minWidth: 104, sortable: true, cell: (i) => <RelativeTime ms={i.created * 1000} /> },
    { id: 'size', header: 'Size', minWidth: 78, sortable: true, align: 'end', cell: (i) => <Bytes value={i.size} /> },
    {
      id: 'unique',
      header: 'Shared / unique',
      minWidth: 132,
      sortable: true,
      align: 'end',
      cell: (i) =>
        i.sharedSize < 0 ? (
          <span className="muted" title="The engine did not report shared sizes">
            —
          </span>
        ) : (
          <span title="Shared with other images / only in this image">
            <span className="muted">
              <Bytes value={i.sharedSize} />
            </span>
            {' / '}
            <Bytes value={i.uniqueSize} />
          </span>
        ),
    },
    {
      id: 'containers',
      header: 'Containers',
      minWidth: 96,
      sortable: true,
      cell: (i) =>
        i.containers > 0 ? (
          <span className="badge badge-accent" title={`${i.containers} container${i.containers === 1 ? '' : 's'} use this image`}>
            in use · {i.containers}
          </span>
        ) : (
          <span className="muted">—</span>
        ),
    },
    { id: 'platform', header: 'Platform', minWidth: 96, sortable: true, cell: (i) => <span className="muted">{i.platform ?? '—'}</span> },
  ];
}
